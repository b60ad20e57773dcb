import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsString, Matches } from 'class-validator';

export class CalendarSyncRequestDto {
  @ApiProperty({ example: 'ALL', description: '"ALL" or one Advoware kuerzel' })
  @IsString()
  @Matches(/^(ALL|[A-Za-z0-9_.-]{1,20})$/, {
    message: 'kuerzel must be "ALL" or an Advoware kuerzel',
  })
  kuerzel!: string;

  @ApiProperty({ example: true, description: 'false: Google gets only "Termin" and the times' })
  @IsBoolean()
  full_content!: boolean;
}

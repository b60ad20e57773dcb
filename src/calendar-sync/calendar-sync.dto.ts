import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';

/** Both fields default like the old hub's endpoint: `{}` or no body syncs everyone with full content. */
export class CalendarSyncRequestDto {
  @ApiPropertyOptional({
    example: 'ALL',
    default: 'ALL',
    description: '"ALL" or one Advoware kuerzel',
  })
  @IsOptional()
  @IsString()
  @Matches(/^(ALL|[A-Za-z0-9_.-]{1,20})$/, {
    message: 'kuerzel must be "ALL" or an Advoware kuerzel',
  })
  kuerzel?: string;

  @ApiPropertyOptional({
    example: true,
    default: true,
    description: 'false: Google gets only "Termin" and the times',
  })
  @IsOptional()
  @IsBoolean()
  full_content?: boolean;
}

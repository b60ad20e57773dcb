import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class CronTriggerDto {
  @ApiProperty({ example: 'vmh-beteiligte-sync-check', description: 'A cron step from GET /_console/functions' })
  @IsString()
  @Matches(/^[a-z0-9-]{1,100}$/)
  function_id!: string;
}

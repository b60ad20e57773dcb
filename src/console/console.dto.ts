import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches } from 'class-validator';

export class CronTriggerDto {
  @ApiProperty({
    example: 'vmh-beteiligte-sync-check',
    description:
      "A cron step from GET /_console/functions, or the old hub's id of it " +
      '(`steps::VMH Beteiligte Sync Cron::trigger::0`)',
  })
  @IsString()
  @Matches(/^(?:[a-z0-9-]{1,100}|steps::[^:]{1,100}::trigger::\d{1,3})$/)
  function_id!: string;
}

export class InvokeDto {
  @ApiProperty({
    example: 'vmh-document-sync',
    description: 'A queue step from GET /_console/functions',
  })
  @IsString()
  @Matches(/^[a-z0-9-]{1,100}$/)
  function_id!: string;

  @ApiProperty({
    example: { entityId: '5f1a2b3c4d5e6f701' },
    description: 'The job payload, checked like the producer checks it',
  })
  @IsObject()
  data!: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'vmh.document.update',
    description: 'Which of the step’s topics (default: the first)',
  })
  @IsOptional()
  @IsString()
  topic?: string;
}

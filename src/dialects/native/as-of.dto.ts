import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';
import { utcTime } from '../../core/time.js';

export class AsOfDto {
  @IsOptional() @IsISO8601({ strict: true })
  @ApiPropertyOptional({ description: 'The state as it was at this moment (ISO 8601), folded from the log; events at exactly this time included' })
  as_of?: string;
}

/** The moment as the log writes times (UTC, milliseconds), so comparing them is comparing strings; a 400 naming `field` when unreadable. */
export const moment = (value: string, field = 'as_of') => utcTime(value, field);

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';

export class AsOfDto {
  @IsOptional() @IsISO8601({ strict: true })
  @ApiPropertyOptional({ description: 'The state as it was at this moment (ISO 8601), folded from the log; events at exactly this time included' })
  as_of?: string;
}


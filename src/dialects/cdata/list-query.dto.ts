import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';

export class ListQueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  @ApiPropertyOptional({ description: 'Page size', default: 100, maximum: 500 })
  limit?: number;

  @IsOptional() @IsString()
  @ApiPropertyOptional({ description: 'Cursor from the previous page\'s next_cursor' })
  cursor?: string;
}

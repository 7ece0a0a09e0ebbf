import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

/** A page of a list, in every dialect that pages with `limit` and `cursor` (the previous page's next_cursor). */
export class PageQueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  @ApiPropertyOptional({ description: 'Page size', default: 100, maximum: 500 })
  limit?: number;

  @IsOptional() @IsString()
  @ApiPropertyOptional({ description: "Cursor from the previous page's next_cursor" })
  cursor?: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject } from 'class-validator';
import { CONNECTION_KINDS } from '../../connections/connection.decider.js';
import { Name, OptionalField } from './fields.js';

const SETTINGS_DOC =
  'Where the store is: `path` (csv: a directory of .csv files; sqlite: a database file; never inside the data directory, and under ' +
  'SLUICE_CONNECTION_ROOTS when set) or `url` (postgres, optionally with a separate `password`). Every kind also takes ' +
  '`connect_timeout_ms` (default 30000), `statement_timeout_ms` (default 0: none) and `read_timeout_ms` (default 300000). ' +
  'Any other key is refused. Secrets (the URL password, `password`) are stored encrypted and answered as ****; ' +
  'sending the masked value back keeps the stored secret.';

export class CreateConnectionDto {
  @Name('Connection name, unique in its workspace', 'warehouse')
  name: string;

  @IsIn(CONNECTION_KINDS, { message: `kind must be one of: ${CONNECTION_KINDS.join(', ')}` })
  @ApiProperty({ enum: CONNECTION_KINDS, example: 'postgres' })
  kind: (typeof CONNECTION_KINDS)[number];

  @IsObject() @ApiProperty({ type: Object, description: SETTINGS_DOC, example: { url: 'postgresql://sluice@localhost:5432/warehouse' } })
  settings: Record<string, unknown>;
}

export class UpdateConnectionDto {
  @Name('New name', 'warehouse', { optional: true })
  name?: string;

  @OptionalField() @IsObject() @ApiPropertyOptional({ type: Object, description: SETTINGS_DOC, example: { path: '/data/exports' } })
  settings?: Record<string, unknown>;
}

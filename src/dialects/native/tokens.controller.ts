import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsIn, IsISO8601, IsString, Matches, ValidateIf } from 'class-validator';
import type { CommandContext } from '../../core/write-path.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { GetToken, ListTokens, type TokenWithUse } from '../../identity/identity.queries.js';
import { ROLES, type Role } from '../../identity/roles.js';
import { SCOPE, TOKEN_NAME } from '../../identity/token.decider.js';
import { CreateToken, RevokeToken } from '../../identity/tokens.commands.js';
import { IdParam } from './id-param.js';
import { SluiceController } from './native.decorators.js';
import { PageQueryDto } from '../../http/page-query.dto.js';

const sent = ValidateIf((_, value) => value !== undefined);

export class CreateTokenDto {
  @IsString() @Matches(TOKEN_NAME, { message: 'name must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_", "@" and "-"' })
  @ApiProperty({ description: 'Unique forever (a revoked token keeps its name); events it writes name it as token:<name>. `admin` is reserved', example: 'nightly-loader', pattern: TOKEN_NAME.source })
  name: string;

  @IsArray() @ArrayNotEmpty() @IsIn(ROLES, { each: true, message: `each of roles must be one of: ${ROLES.join(', ')}` })
  @ApiProperty({ enum: ROLES, isArray: true, example: ['Operator'] })
  roles: Role[];

  @sent @IsISO8601({ strict: true }, { message: 'expires_at must be an ISO 8601 time' })
  @ApiPropertyOptional({ description: 'When it stops working (ISO 8601, in the future); never when absent', example: '2027-01-01T00:00:00Z' })
  expires_at?: string;

  @sent @IsString() @Matches(SCOPE, { message: 'scope must be <kind>:<id>, e.g. job:<uuid>' })
  @ApiPropertyOptional({ description: 'The one resource it may act on, `<kind>:<id>` (e.g. `job:<uuid>`); any resource its roles allow when absent', example: 'job:0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21' })
  scope?: string;
}

const TOKEN_EXAMPLE = {
  id: '9d3b7f2a-1c4e-4b5d-8e6f-7a8b9c0d1e2f',
  name: 'nightly-loader',
  roles: ['Operator'],
  scope: null,
  expires_at: '2027-01-01T00:00:00.000Z',
  created_at: '2026-11-23T08:00:00.000Z',
};

const LISTED_EXAMPLE = { ...TOKEN_EXAMPLE, created_by: 'user:ada', last_used_at: '2026-11-24T02:00:00.000Z', revoked: false };

@SluiceController('Sluice: tokens', { create: 'Administrator', list: 'Administrator', revoke: 'Administrator' })
@Controller('v1/tokens')
export class TokensController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create an API token; the answer is the only time it is shown',
    description: 'Send it as x-cdata-authtoken, @authtoken or Authorization: Bearer. Only its SHA-256 hash is kept.',
  })
  @ApiAnswer(201, 'The token, with `token` shown this once', { ...TOKEN_EXAMPLE, token: 'slc_q3JbX1oV0w4m8l2Yc7Rk5nTzA9dFhE6uPsGiWxKyLvB' })
  @ApiErrors(400, [409, 'TOKEN.NAME_TAKEN', 'A token (revoked ones too) has this name'])
  async create(@Body() dto: CreateTokenDto, @Ctx() ctx: CommandContext) {
    const asked = { name: dto.name, roles: dto.roles, expiresAt: dto.expires_at, scope: dto.scope };
    const { id, position, token } = await this.commands.execute(new CreateToken(randomUUID(), asked, ctx));
    const t = await this.queries.execute(new GetToken(id, position));
    return { id, name: t.name, roles: t.roles, scope: t.scope, expires_at: t.expiresAt, created_at: t.createdAt, token };
  }

  @Get()
  @ApiOperation({ summary: 'List tokens, oldest first, revoked ones too; never a token or its hash' })
  @ApiAnswer(200, 'A page of tokens', { tokens: [LISTED_EXAMPLE], next_cursor: null })
  @ApiErrors(400)
  async list(@Query() page: PageQueryDto) {
    const { items, next } = await this.queries.execute(new ListTokens(page.limit ?? 100, page.cursor));
    return { tokens: items.map(toTokenView), next_cursor: next ?? null };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token: the next request with it, on any instance, is a 401' })
  @ApiAnswer(204, 'Revoked', null)
  @ApiErrors([404, 'TOKEN.NOT_FOUND', 'No such token'], [409, 'CONCURRENCY.CONFLICT', 'A concurrent change; try again'])
  async revoke(@IdParam('id', 'TOKEN.NOT_FOUND') id: string, @Ctx() ctx: CommandContext) {
    const { position } = await this.commands.execute(new RevokeToken(id, ctx));
    await this.queries.execute(new GetToken(id, position));
  }
}

function toTokenView(t: TokenWithUse) {
  return {
    id: t.id,
    name: t.name,
    roles: t.roles,
    scope: t.scope,
    expires_at: t.expiresAt,
    created_at: t.createdAt,
    created_by: t.createdBy,
    last_used_at: t.lastUsedAt,
    revoked: t.revoked,
  };
}

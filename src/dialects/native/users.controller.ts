import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsString, Length, Matches, ValidateIf } from 'class-validator';
import type { CommandContext } from '../../core/write-path.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { PASSWORD_LENGTH } from '../../identity/hashing.js';
import { GetUser, ListUsers } from '../../identity/identity.queries.js';
import type { UserDoc } from '../../identity/identity.read-model.js';
import { ROLES, type Role } from '../../identity/roles.js';
import { LOGIN } from '../../identity/user.decider.js';
import { ChangeUser, CreateUser } from '../../identity/users.commands.js';
import { IdParam } from './id-param.js';
import { SluiceController } from './native.decorators.js';
import { PageQueryDto } from '../../http/page-query.dto.js';

const sent = ValidateIf((_, value) => value !== undefined);
const PasswordLength = () => Length(PASSWORD_LENGTH.min, PASSWORD_LENGTH.max, { message: `$property must be ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters long` });
const ROLES_DOC = 'Viewer reads; Operator also changes tasks, runs, executes, cancels and uploads; Administrator does everything, users and tokens included';

export class CreateUserDto {
  @IsString() @Matches(LOGIN, { message: 'login must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_", "@" and "-"' })
  @ApiProperty({ description: 'Unique whatever its case; `admin` is the user SLUICE_ADMIN_PASSWORD manages', example: 'ada', pattern: LOGIN.source })
  login: string;

  @IsString() @PasswordLength()
  @ApiProperty({ description: 'Stored only as a scrypt hash, never answered', minLength: PASSWORD_LENGTH.min, maxLength: PASSWORD_LENGTH.max, example: 'correct horse battery staple' })
  password: string;

  @IsArray() @ArrayNotEmpty() @IsIn(ROLES, { each: true, message: `each of roles must be one of: ${ROLES.join(', ')}` })
  @ApiProperty({ enum: ROLES, isArray: true, description: ROLES_DOC, example: ['Operator'] })
  roles: Role[];
}

export class UpdateUserDto {
  @sent @IsString() @PasswordLength()
  @ApiPropertyOptional({ description: 'A new password', minLength: PASSWORD_LENGTH.min, maxLength: PASSWORD_LENGTH.max })
  password?: string;

  @sent @IsArray() @ArrayNotEmpty() @IsIn(ROLES, { each: true, message: `each of roles must be one of: ${ROLES.join(', ')}` })
  @ApiPropertyOptional({ enum: ROLES, isArray: true, description: ROLES_DOC, example: ['Viewer'] })
  roles?: Role[];

  @sent @IsBoolean()
  @ApiPropertyOptional({ description: 'true: the user can no longer sign in; false: enabled again' })
  disabled?: boolean;
}

const USER_EXAMPLE = {
  id: '5c1e0a6e-2b0f-4f5e-9a51-1d2c3b4a5f60',
  login: 'ada',
  roles: ['Operator'],
  disabled: false,
  created_at: '2026-11-23T08:00:00.000Z',
  updated_at: '2026-11-23T08:00:00.000Z',
};

/** A user as every answer shows it: never the password or its hash. */
const toUserView = (u: UserDoc) => ({ id: u.id, login: u.login, roles: u.roles, disabled: u.disabled, created_at: u.createdAt, updated_at: u.updatedAt });

@SluiceController('Sluice: users', { create: 'Administrator', list: 'Administrator', get: 'Administrator', update: 'Administrator', disable: 'Administrator' })
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a user who signs in with HTTP Basic (login and password)' })
  @ApiAnswer(201, 'The user', USER_EXAMPLE)
  @ApiErrors(400, [409, 'USER.LOGIN_TAKEN', 'Another user has this login (whatever its case)'])
  async create(@Body() dto: CreateUserDto, @Ctx() ctx: CommandContext) {
    const { id, position } = await this.commands.execute(new CreateUser(randomUUID(), dto, ctx));
    return toUserView(await this.queries.execute(new GetUser(id, position)));
  }

  @Get()
  @ApiOperation({ summary: 'List users, oldest first (disabled ones too)' })
  @ApiAnswer(200, 'A page of users', { users: [USER_EXAMPLE], next_cursor: null })
  @ApiErrors(400)
  async list(@Query() page: PageQueryDto) {
    const { items, next } = await this.queries.execute(new ListUsers(page.limit ?? 100, page.cursor));
    return { users: items.map(toUserView), next_cursor: next ?? null };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user' })
  @ApiAnswer(200, 'The user', USER_EXAMPLE)
  @ApiErrors([404, 'USER.NOT_FOUND', 'No such user'])
  async get(@IdParam('id', 'USER.NOT_FOUND') id: string) {
    return toUserView(await this.queries.execute(new GetUser(id)));
  }

  @Put(':id')
  @ApiOperation({ summary: "Change a user's password, roles or whether it is disabled; only what is sent changes" })
  @ApiAnswer(200, 'The user', USER_EXAMPLE)
  @ApiErrors(400, [404, 'USER.NOT_FOUND', 'No such user'], [409, 'CONCURRENCY.CONFLICT', 'A concurrent change; try again'])
  async update(@IdParam('id', 'USER.NOT_FOUND') id: string, @Body() dto: UpdateUserDto, @Ctx() ctx: CommandContext) {
    const { position } = await this.commands.execute(new ChangeUser(id, dto, ctx));
    return toUserView(await this.queries.execute(new GetUser(id, position)));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Disable a user: it can no longer sign in, its history stays, and GET still shows it (disabled)' })
  @ApiAnswer(204, 'Disabled', null)
  @ApiErrors([404, 'USER.NOT_FOUND', 'No such user'], [409, 'CONCURRENCY.CONFLICT', 'A concurrent change; try again'])
  async disable(@IdParam('id', 'USER.NOT_FOUND') id: string, @Ctx() ctx: CommandContext) {
    const { position } = await this.commands.execute(new ChangeUser(id, { disabled: true }, ctx));
    await this.queries.execute(new GetUser(id, position));
  }
}

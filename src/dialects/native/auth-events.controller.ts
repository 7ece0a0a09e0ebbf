import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { SIGN_IN_OUTCOMES, type SignInOutcome, SignIns } from '../../identity/sign-ins.js';
import { SluiceController } from './native.decorators.js';

class AuthEventQueryDto {
  @IsOptional() @IsIn(SIGN_IN_OUTCOMES, { message: `outcome must be one of: ${SIGN_IN_OUTCOMES.join(', ')}` })
  @ApiPropertyOptional({ enum: SIGN_IN_OUTCOMES })
  outcome?: SignInOutcome;

  @IsOptional() @IsString() @MaxLength(300) @ApiPropertyOptional({ description: 'Successful sign-ins of this actor, e.g. `user:ada` or `token:etl`' })
  actor?: string;

  @IsOptional() @IsString() @MaxLength(300) @ApiPropertyOptional({ description: 'Sign-ins that presented this login (exactly as presented)' })
  login?: string;

  @IsOptional() @IsString() @MaxLength(100) @ApiPropertyOptional({ description: 'Sign-ins from this client address' })
  address?: string;

  @IsOptional() @IsISO8601() @ApiPropertyOptional({ description: 'Sign-ins at or after this time (ISO 8601)' })
  since?: string;

  @IsOptional() @IsISO8601() @ApiPropertyOptional({ description: 'Sign-ins at or before this time (ISO 8601)' })
  until?: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) @ApiPropertyOptional({ default: 100, maximum: 1000 })
  limit?: number;

  @IsOptional() @IsString() @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  cursor?: string;
}

const EXAMPLE = {
  events: [
    { at: '2026-11-23T08:00:02.000Z', outcome: 'success', actor: 'user:ada', login: 'ada', way: 'basic', address: '10.0.0.7', reason: null },
    { at: '2026-11-23T08:00:01.000Z', outcome: 'failure', actor: null, login: 'ada', way: 'basic', address: '10.0.0.7', reason: 'The credential is not valid' },
  ],
  next_cursor: null,
};

@SluiceController('Sluice: sign-ins', { list: 'Administrator' })
@Controller('v1/auth-events')
export class AuthEventsController {
  constructor(private readonly signIns: SignIns) {}

  @Get()
  @ApiOperation({
    summary: 'Sign-ins, newest first: failures, throttled attempts and successes (at most one a minute per actor, address and way)',
    description: 'Records are kept for SLUICE_AUTH_LOG_DAYS days (default 90). They never hold a password or a token.',
  })
  @ApiAnswer(200, 'A page of sign-ins; next_cursor asks for the next', EXAMPLE)
  @ApiErrors(400)
  async list(@Query() query: AuthEventQueryDto) {
    const { items, next } = await this.signIns.list({ ...query, limit: query.limit ?? 100 });
    return {
      events: items.map((e) => ({
        at: e.at,
        outcome: e.outcome,
        actor: e.actor ?? null,
        login: e.login ?? null,
        way: e.way,
        address: e.address,
        reason: e.reason ?? null,
      })),
      next_cursor: next ?? null,
    };
  }
}

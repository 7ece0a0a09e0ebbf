import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { Request } from 'express';
import { ApiAnswer } from '../../http/api-docs.js';
import { PASSWORD_LENGTH } from '../../identity/hashing.js';
import { JwtTokens } from '../../identity/jwt.js';
import { EtlworksController } from './etlworks.decorators.js';
import { BODY_ANSWERS, THROTTLED, UNAUTHORIZED } from './examples.js';

export class IssueTokenDto {
  @IsString() @Length(1, 64)
  @ApiProperty({ description: "A Sluice user's login", example: 'ada', maxLength: 64 })
  login!: string;

  @IsString() @Length(1, PASSWORD_LENGTH.max)
  @ApiProperty({ description: "The user's password", example: 'correct horse battery staple', maxLength: PASSWORD_LENGTH.max })
  password!: string;
}

const TOKEN = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJsb2dpbiI6ImFkYSIsImlzcyI6InNsdWljZSIsInN1YiI6IjZmMWMyZjBlLThmNTUtNGE1My05ZDJjLTJiMWYzZjFkOWExMCJ9.c2lnbmF0dXJl';

/**
 * Etlworks' authentication API: a login and password for a short-lived JWT (SLUICE_JWT_TTL seconds, 600 by
 * default). Any active user gets one; the routes it is used on check the user's role at each call.
 */
@EtlworksController('Etlworks: authentication', { issue: 'Public' })
@Controller('rest/v1/token-auth')
export class EtlworksAuthController {
  constructor(private readonly jwts: JwtTokens) {}

  @Post('issue')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: "Get an access token for a user: a JWT to send as Authorization: Bearer <token> (or ?Authorization=Bearer%20<token>)" })
  @ApiAnswer(200, 'The access token', { token: TOKEN })
  @ApiAnswer(400, 'A missing or malformed login or password', { status: 400, error: 'Bad Request', message: 'login must be longer than or equal to 1 characters' })
  @ApiAnswer(401, 'Wrong login or password, or a disabled user', { ...UNAUTHORIZED, message: 'The login or password is not valid' })
  @ApiAnswer(429, 'Too many failed sign-ins from this address or for this login; Retry-After says when to try again', THROTTLED)
  @BODY_ANSWERS()
  async issue(@Body() { login, password }: IssueTokenDto, @Req() req: Request) {
    const { token } = await this.jwts.issue(login, password, { way: 'etlworks-login', address: req.ip ?? req.socket.remoteAddress ?? '' });
    return { token };
  }
}

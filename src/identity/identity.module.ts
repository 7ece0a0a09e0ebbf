import { Global, Module } from '@nestjs/common';
import { AdminBootstrap } from './admin-bootstrap.js';
import { GetTokenHandler, GetUserHandler, ListTokensHandler, ListUsersHandler } from './identity.queries.js';
import { IdentityService } from './identity.service.js';
import { JwtClock, JwtTokens } from './jwt.js';
import { SignIns } from './sign-ins.js';
import { CreateTokenHandler, RevokeTokenHandler } from './tokens.commands.js';
import { ChangeUserHandler, CreateUserHandler } from './users.commands.js';

@Global()
@Module({
  providers: [
    IdentityService,
    SignIns,
    JwtTokens,
    JwtClock,
    AdminBootstrap,
    CreateUserHandler,
    ChangeUserHandler,
    CreateTokenHandler,
    RevokeTokenHandler,
    GetUserHandler,
    ListUsersHandler,
    GetTokenHandler,
    ListTokensHandler,
  ],
  exports: [IdentityService, SignIns, JwtTokens, JwtClock],
})
export class IdentityModule {}

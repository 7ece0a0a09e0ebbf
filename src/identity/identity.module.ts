import { Global, Module } from '@nestjs/common';
import { AdminBootstrap } from './admin-bootstrap.js';
import { GetTokenHandler, GetUserHandler, ListTokensHandler, ListUsersHandler } from './identity.queries.js';
import { IdentityService } from './identity.service.js';
import { CreateTokenHandler, RevokeTokenHandler } from './tokens.commands.js';
import { ChangeUserHandler, CreateUserHandler } from './users.commands.js';

@Global()
@Module({
  providers: [
    IdentityService,
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
  exports: [IdentityService],
})
export class IdentityModule {}

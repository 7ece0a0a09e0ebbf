import { Global, Module } from '@nestjs/common';
import { IdentityService } from './identity.service.js';
import { SignIns } from './sign-ins.js';

@Global()
@Module({ providers: [IdentityService, SignIns], exports: [IdentityService, SignIns] })
export class IdentityModule {}

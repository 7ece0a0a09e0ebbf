import { applyDecorators, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Access, Roles } from '../../http/access.js';
import { AcceptsCredentials } from '../../http/api-docs.js';
import { AuthGuard } from '../../http/auth.guard.js';
import { Dialect } from '../../http/command-context.js';
import { rejectedBodies } from '../../http/body.js';
import { basic, bearer } from '../../http/credentials.js';
import { SirenErrorFilter } from './siren-errors.js';

/** Siren sits behind Elasticsearch's security: HTTP Basic with a user's login and password, or a token as bearer. */
const guard = AuthGuard([basic(), bearer]);

export const SirenController = (tag: string, access: Record<string, Access>) =>
  applyDecorators(ApiTags(tag), Dialect('siren'), AcceptsCredentials('basic', 'bearer'), Roles(access), UseGuards(guard), UseFilters(SirenErrorFilter), UsePipes(rejectedBodies));

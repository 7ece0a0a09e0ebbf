import { applyDecorators, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Access, Roles } from '../../http/access.js';
import { AcceptsCredentials } from '../../http/api-docs.js';
import { AuthGuard } from '../../http/auth.guard.js';
import { Dialect } from '../../http/command-context.js';
import { tokenHeader, tokenQuery } from '../../http/credentials.js';
import { JitsuErrorFilter } from './jitsu-errors.js';

/** Jitsu's admin token: the `token` query parameter first, then the X-Admin-Token header (Jitsu's order). */
const guard = AuthGuard([tokenQuery('token'), tokenHeader('X-Admin-Token')]);

export const JitsuController = (tag: string, access: Record<string, Access>) =>
  applyDecorators(ApiTags(tag), Dialect('jitsu'), AcceptsCredentials('token', 'X-Admin-Token'), Roles(access), UseGuards(guard), UseFilters(JitsuErrorFilter));

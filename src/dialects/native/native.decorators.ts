import { applyDecorators, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Access, Roles } from '../../http/access.js';
import { AcceptsCredentials } from '../../http/api-docs.js';
import { AuthGuard } from '../../http/auth.guard.js';
import { Dialect } from '../../http/command-context.js';
import { basic, bearer, tokenHeader, tokenQuery } from '../../http/credentials.js';
import { JsonErrorFilter } from '../../http/error.filter.js';
import { strictValidation } from '../../http/validation.js';

/** Any token in x-cdata-authtoken, @authtoken or Authorization: Bearer; a user's login and password as Basic. */
const V1_CREDENTIALS = [tokenHeader('x-cdata-authtoken'), tokenQuery('@authtoken'), bearer, basic()];
const guard = AuthGuard(V1_CREDENTIALS);

/** What every /v1 controller shares: its credentials, the role of each route, `{"error": …}` bodies, strict validation. */
export const SluiceController = (tag: string, access: Record<string, Access>) =>
  applyDecorators(
    ApiTags(tag),
    Dialect('sluice'),
    AcceptsCredentials('x-cdata-authtoken', '@authtoken', 'bearer', 'basic'),
    Roles(access),
    UseGuards(guard),
    UseFilters(JsonErrorFilter),
    UsePipes(strictValidation),
  );

import { applyDecorators, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Access, Roles } from '../../http/access.js';
import { AcceptsCredentials } from '../../http/api-docs.js';
import { Dialect } from '../../http/command-context.js';
import { strictValidation } from '../../http/validation.js';
import { EtlworksErrorFilter } from './etlworks-errors.js';
import { EtlworksGuard } from './etlworks.guard.js';

/** What every Etlworks controller shares: its JWT, the role of each route, its error body, strict validation. */
export const EtlworksController = (tag: string, access: Record<string, Access>) =>
  applyDecorators(
    ApiTags(tag),
    Dialect('etlworks'),
    AcceptsCredentials('etlworks-jwt', 'etlworks-jwt-query'),
    Roles(access),
    UseGuards(EtlworksGuard),
    UseFilters(EtlworksErrorFilter),
    UsePipes(strictValidation),
  );

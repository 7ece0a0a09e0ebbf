import { Controller, Get } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { ApiAnswer } from '../../http/api-docs.js';
import { CurrentPrincipal } from '../../http/command-context.js';
import type { Principal } from '../../identity/principal.js';
import { allows } from '../../identity/roles.js';
import { SluiceController } from './native.decorators.js';

const ME_EXAMPLE = {
  actor: 'user:ada',
  kind: 'user',
  id: '5c1e0a6e-2b0f-4f5e-9a51-1d2c3b4a5f60',
  name: 'ada',
  roles: ['Operator'],
  scope: null,
  expires_at: null,
  may: { read: true, operate: true, administer: false },
};

@SluiceController('Sluice: identity', { me: 'Authenticated' })
@Controller('v1/me')
export class MeController {
  @Get()
  @ApiOperation({
    summary: 'Who the credential belongs to and what it may do',
    description: '`actor` is what the events this caller writes record. A token with a `scope` may act on that one resource only.',
  })
  @ApiAnswer(200, 'The caller', ME_EXAMPLE)
  me(@CurrentPrincipal() p: Principal) {
    return {
      actor: p.actor,
      kind: p.kind,
      id: p.id,
      name: p.name,
      roles: p.roles,
      scope: p.scope ?? null,
      expires_at: p.expiresAt ?? null,
      may: { read: allows(p.roles, 'Viewer'), operate: allows(p.roles, 'Operator'), administer: allows(p.roles, 'Administrator') },
    };
  }
}

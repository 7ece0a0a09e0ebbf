import type { RecordedEvent } from '../src/core/events.js';
import { type TokenDoc, TOKENS, type UserDoc, USERS } from '../src/identity/identity.read-model.js';
import type { TokenEvent } from '../src/identity/token.decider.js';
import type { UserEvent } from '../src/identity/user.decider.js';
import type { Projection, ProjectionTx } from './projection.js';

/** Users and tokens as the /v1 routes list them: no password hash and no token hash ever reaches these documents. */
export const identityProjection: Projection = {
  name: 'identity',
  collections: { [USERS]: [{ fields: ['createdAt'] }], [TOKENS]: [{ fields: ['createdAt'] }] },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    if (recorded.stream.startsWith('user-')) return applyUser(recorded as unknown as UserEvent & RecordedEvent, tx);
    if (recorded.stream.startsWith('token-') && !recorded.stream.startsWith('token-hash-') && !recorded.stream.startsWith('token-name-')) {
      return applyToken(recorded as unknown as TokenEvent & RecordedEvent, tx);
    }
  },
};

async function applyUser(event: UserEvent & RecordedEvent, tx: ProjectionTx) {
  const at = event.metadata.occurredAt;
  const change = (id: string, set: Partial<UserDoc>) => tx.update<UserDoc>(USERS, id, (doc) => ({ ...doc, ...set, updatedAt: at, version: event.revision }));
  switch (event.type) {
    case 'UserCreated': {
      const { userId, login, roles } = event.data;
      return tx.put(USERS, { id: userId, login, roles, disabled: false, createdAt: at, updatedAt: at, version: event.revision });
    }
    case 'UserPasswordChanged':
      return change(event.data.userId, {});
    case 'UserRolesChanged':
      return change(event.data.userId, { roles: event.data.roles });
    case 'UserDisabled':
      return change(event.data.userId, { disabled: true });
    case 'UserEnabled':
      return change(event.data.userId, { disabled: false });
  }
}

async function applyToken(event: TokenEvent & RecordedEvent, tx: ProjectionTx) {
  const at = event.metadata.occurredAt;
  switch (event.type) {
    case 'TokenCreated': {
      const { tokenId, name, roles, expiresAt, scope } = event.data;
      const doc: TokenDoc = { id: tokenId, name, roles, scope: scope ?? null, expiresAt: expiresAt ?? null, createdAt: at, createdBy: event.metadata.actor, revoked: false, revokedAt: null };
      return tx.put(TOKENS, doc);
    }
    case 'TokenRevoked':
      return tx.update<TokenDoc>(TOKENS, event.data.tokenId, (doc) => ({ ...doc, revoked: true, revokedAt: at }));
  }
}

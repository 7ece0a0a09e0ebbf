import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { QueryBus } from '@nestjs/cqrs';
import { DomainError } from '../../core/errors.js';
import { refusalOnDataSync } from '../../datasyncs/datasync.model.js';
import { DataSyncAccess, type DataSyncAccessInfo, type DataSyncView, GetDataSync } from '../../datasyncs/datasyncs.queries.js';
import { ACCESS, type Access, roleOf } from '../../http/access.js';
import type { AuthenticatedRequest } from '../../http/auth.guard.js';
import { basic, bearer } from '../../http/credentials.js';
import { IdentityService } from '../../identity/identity.service.js';
import type { Credential } from '../../identity/principal.js';

/** The seed's words for every refused credential (Prisma answers 403, never 401). */
export const AUTH_FAILED = 'Falló de autenticación';

/** Prisma's user name for the token in HTTP Basic. */
export const PRISMA_USER = 'api';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type PrismaRequest = AuthenticatedRequest & { dataSync?: DataSyncView };

const refused = (reason: string) => new DomainError('FORBIDDEN', `${AUTH_FAILED}: ${reason}`);

/**
 * A token as Prisma presents it, HTTP Basic `api:<token>`, or as a bearer token. Basic with any other user
 * name is refused rather than tried as a login: these routes take tokens only.
 */
function presented(req: PrismaRequest): Credential {
  const viaBasic = basic().find(req);
  if (viaBasic?.kind === 'password') {
    if (viaBasic.login !== PRISMA_USER) throw refused(`the user name must be "${PRISMA_USER}", with a token of this data sync as the password`);
    return { kind: 'token', way: 'prisma-basic', token: viaBasic.password };
  }
  const viaBearer = bearer.find(req);
  if (viaBearer) return viaBearer;
  throw refused(`this data sync needs HTTP Basic with the user name "${PRISMA_USER}" and one of its tokens as the password`);
}

/**
 * Finds the data sync of the route from its own stream, as the write side sees it (unknown or deleted: 404,
 * before any credential is looked at, since whether one is needed is the data sync's own setting; just
 * created: found, its view read once the read models have caught up with its stream). Then, where its auth
 * is on, resolves the token through the one identity store (throttled like every sign-in) and has the data
 * sync feature check it. Where auth is off the route is open and acts as `anonymous`; a credential sent
 * anyway is not looked at.
 */
@Injectable()
export class PrismaGuard implements CanActivate {
  constructor(
    private readonly identity: IdentityService,
    private readonly reflector: Reflector,
    private readonly queries: QueryBus,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.get<Access | undefined>(ACCESS, context.getHandler());
    if (access === undefined) throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no role`);
    const req = context.switchToHttp().getRequest<PrismaRequest>();
    const id = String(req.params.datasync_id ?? '');
    if (!UUID.test(id)) throw new DomainError('DATASYNC.NOT_FOUND', `Data sync ${id.slice(0, 80)} not found`);
    const { needsToken, position }: DataSyncAccessInfo = await this.queries.execute(new DataSyncAccess(id.toLowerCase()));
    const dataSync: DataSyncView = await this.queries.execute(new GetDataSync(id.toLowerCase(), position));
    req.dataSync = dataSync;
    if (access === 'Public' || !needsToken) return true;
    const credential = presented(req);
    const principal = await this.identity.authenticate({ credential, address: req.ip ?? req.socket.remoteAddress ?? '' }).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'UNAUTHORIZED') throw refused(error.message);
      throw error;
    });
    const refusal = refusalOnDataSync(principal, roleOf(access), dataSync.id);
    if (refusal) throw refused(refusal);
    req.principal = principal;
    return true;
  }
}

/** The data sync the guard loaded. */
export function dataSyncOf(req: PrismaRequest): DataSyncView {
  if (!req.dataSync) throw new Error('The Prisma guard did not run');
  return req.dataSync;
}

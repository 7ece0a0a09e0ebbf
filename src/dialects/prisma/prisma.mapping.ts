import type { Request, Response } from 'express';
import type { DataSyncView } from '../../datasyncs/datasyncs.queries.js';
import { EDN, toEdn } from '../../http/edn.js';
import type { RunStatus } from '../../jobs/job.model.js';
import type { RunDoc } from '../../runs/runs.read-model.js';

export const PRISMA_STATUSES = ['scheduled', 'running', 'finished', 'cancelled'] as const;
export type PrismaStatus = (typeof PRISMA_STATUSES)[number];

/** Prisma has no word for a failure: a failed launch is `cancelled`, its error the status message. */
const STATUS_OF: Record<RunStatus, PrismaStatus> = {
  queued: 'scheduled',
  running: 'running',
  cancelling: 'running',
  succeeded: 'finished',
  failed: 'cancelled',
  cancelled: 'cancelled',
};

/** How many launches latest-launches answers. */
export const LATEST_LAUNCHES = 20;

/** Prisma's times: UTC without offset or fraction, `2022-01-14T20:00:00`. */
export const prismaTime = (iso: string): string => new Date(iso).toISOString().slice(0, 19);

/** The login or token name of an actor: `user:ada` → `ada`, `token:nightly` → `nightly`. */
const nameOf = (actor: string): string => actor.replace(/^(user|token):/, '');

function statusMessage(run: RunDoc): string | undefined {
  if (run.status === 'cancelled') return run.cancelledBy ? `Cancelled by user: ${nameOf(run.cancelledBy)}` : 'Cancelled';
  if (run.status === 'failed') return run.error ?? 'Failed';
  return undefined;
}

/** A run as a Prisma launch: optional keys absent until set, as in the seed. */
export function toPrismaLaunch(run: RunDoc) {
  const message = statusMessage(run);
  return {
    id: run.number,
    status: STATUS_OF[run.status],
    'scheduled-time': prismaTime(run.queuedAt),
    ...(run.startedAt ? { 'started-at': prismaTime(run.startedAt) } : {}),
    ...(message ? { 'status-message': message } : {}),
  };
}

/** The status of a data sync: its name, whether it is on, its latest launch and, on a schedule, its next one. */
export function toPrismaStatus(view: DataSyncView) {
  const next = view.nextLaunch;
  return {
    name: view.job.name,
    status: view.job.enabled ? 'enabled' : 'disabled',
    ...(view.latestLaunch ? { 'latest-launch': toPrismaLaunch(view.latestLaunch) } : {}),
    ...(next ? { 'next-launch': prismaTime(next) } : {}),
  };
}

/**
 * Prisma answers EDN unless asked for JSON: by Accept, or, when Accept leaves it open (absent or `*∕*`), by a
 * Content-Type of application/json (the seed says both headers decide).
 */
export function wantsJson(req: Request): boolean {
  const accept = req.headers.accept?.trim();
  if (accept && accept !== '*/*') return req.accepts([EDN, 'application/json']) === 'application/json';
  return /^application\/json\b/i.test(req.headers['content-type'] ?? '');
}

/** Sends `body` as EDN or JSON; the global EDN negotiation only knows Accept, and Prisma's default is EDN. */
export function sendNegotiated(req: Request, res: Response, body: unknown): void {
  res.vary('Accept').vary('Content-Type');
  if (wantsJson(req)) res.type('application/json').send(JSON.stringify(body));
  else res.type(EDN).send(toEdn(body));
}

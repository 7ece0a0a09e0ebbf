import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DomainError, type ErrorCode } from '../core/errors.js';
import { utcTime } from '../core/time.js';
import { type DocAsOf, READ_MODEL_HISTORY, type ReadModelHistory } from '../core/read-model-history.js';
import { type Doc, type Filter, type Page, READ_STORE, type ReadStore } from '../core/read-store.js';
import { AUDIT, type AuditEntryDoc } from './audit.read-model.js';

export interface AuditFilter {
  from?: string;
  to?: string;
  types?: string[];
  limit: number;
  cursor?: string;
}

/** A job's timeline, oldest first; it outlives the job. */
export class JobAudit extends Query<Page<AuditEntryDoc>> {
  constructor(
    readonly jobId: string,
    readonly filter: AuditFilter,
  ) {
    super();
  }
}

/** A read-model document as it was at `at`, from its stream (`notFound` when it did not exist yet). */
export class DocumentAsOf<T extends Doc> extends Query<DocAsOf<T>> {
  constructor(
    readonly collection: string,
    readonly id: string,
    readonly stream: string,
    readonly at: string,
    readonly notFound: ErrorCode,
  ) {
    super();
  }
}

@QueryHandler(JobAudit)
export class JobAuditHandler implements IQueryHandler<JobAudit> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ jobId, filter: { from, to, types, limit, cursor } }: JobAudit): Promise<Page<AuditEntryDoc>> {
    const filter: Filter = { jobId };
    if (from || to) filter.at = { ...(from ? { $gte: utcTime(from, 'from') } : {}), ...(to ? { $lte: utcTime(to, 'to') } : {}) };
    if (types?.length) filter.type = { $in: types };
    const page = await this.store.find<AuditEntryDoc>(AUDIT, { filter, sort: { field: 'order', order: 1 }, limit, cursor });
    if (page.items.length === 0 && !cursor && (await this.store.find(AUDIT, { filter: { jobId }, limit: 1 })).items.length === 0) {
      throw new DomainError('JOB.NOT_FOUND', `Job ${jobId} has no history: it never existed`);
    }
    return page;
  }
}

@QueryHandler(DocumentAsOf)
export class DocumentAsOfHandler implements IQueryHandler<DocumentAsOf<Doc>> {
  constructor(@Inject(READ_MODEL_HISTORY) private readonly history: ReadModelHistory) {}

  async execute({ collection, id, stream, at, notFound }: DocumentAsOf<Doc>): Promise<DocAsOf<Doc>> {
    const found = await this.history.asOf(collection, id, stream, utcTime(at, 'as_of'));
    if (!found) throw new DomainError(notFound, `${id} did not exist yet at ${at}`);
    return found;
  }
}

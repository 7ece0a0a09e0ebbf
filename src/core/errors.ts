/** Every domain error code and the HTTP status it becomes. Dialects render the body in their own shape. */
export const ERROR_STATUS = {
  VALIDATION: 400,
  'JOB.CRON_INVALID': 400,
  'JOB.NAME_REQUIRED': 400,
  'TASK.INDEX_OUT_OF_RANGE': 400,
  'TASK.FROM_INDEX_MISMATCH': 400,
  'TASK.QUERY_INVALID': 400,
  'CONNECTION.SETTINGS_INVALID': 400,
  'CONNECTION.NOT_IN_WORKSPACE': 400,
  UNAUTHORIZED: 401,
  'JOB.NOT_FOUND': 404,
  'TASK.NOT_FOUND': 404,
  'CONNECTION.NOT_FOUND': 404,
  'STREAM.NOT_FOUND': 404,
  'RUN.NOT_FOUND': 404,
  'JOB.NAME_TAKEN': 409,
  'JOB.EXISTS': 409,
  'CONNECTION.NAME_TAKEN': 409,
  'CONNECTION.EXISTS': 409,
  'CONNECTION.IN_USE': 409,
  'CONCURRENCY.CONFLICT': 409,
  'JOB.RUNNING': 409,
  'JOB.DISABLED': 409,
  'DATASYNC.NOT_FOUND': 404,
  'LAUNCH.NOT_FOUND': 404,
  'RUN.NOT_ACTIVE': 409,
  'RUN.ALREADY_CLAIMED': 409,
  'CONNECTION.PATH_FORBIDDEN': 400,
  'CONNECTION.SECRET_KEY_MISSING': 503,
  'BODY.TOO_LARGE': 413,
  'BODY.UNSUPPORTED_TYPE': 415,
  'READ_MODEL.BEHIND': 202,
  'CONNECTION.DELETING': 409,
  'JOB.NOT_RUNNABLE': 400,
  /** An Import or Delete asked to run without an uploaded file (through any API but Prisma's upload). */
  'JOB.NEEDS_FILE': 400,
  /** A schedule turned on for an Import or Delete, which run only on an uploaded file. */
  'JOB.SCHEDULE_NOT_ALLOWED': 400,
  /** A task added, changed, moved or deleted on its own in a job whose task its own API declares (a data sync, an ingestion). */
  'JOB.TASKS_DECLARED': 400,
  /** An uploaded file's run asked for while MAX_WAITING_RUNS already wait behind the job's active run. */
  'JOB.QUEUE_FULL': 409,
  'STORE.FULL': 507,
  'STORE.READ_ONLY': 503,
  'STORE.UNAVAILABLE': 503,
  FORBIDDEN: 403,
  'AUTH.THROTTLED': 429,
  'USER.NOT_FOUND': 404,
  'USER.LOGIN_TAKEN': 409,
  'TOKEN.NOT_FOUND': 404,
  'TOKEN.NAME_TAKEN': 409,
  'REPLAY.RUNNING': 409,
  'REPLAY.NOT_FOUND': 404,
  'REPLAY.UNKNOWN_PROJECTION': 400,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The request field at fault, where there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Too many failed sign-ins: answered 429 with `Retry-After: retryAfterSeconds`. */
export class ThrottledError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('AUTH.THROTTLED', message);
  }
}

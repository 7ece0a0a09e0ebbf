import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { ConnectorError } from './connector.js';
import { bounded, type ConnectorLimits, Interrupted } from './limits.js';

/** How long past statement_timeout_ms the server's own answer is awaited. */
const STATEMENT_ANSWER_MS = 1000;

/**
 * A PostgreSQL connector's sessions, none of which can hang: opening one is bounded by connect_timeout_ms,
 * every wait for an answer by read_timeout_ms, and the server ends statements after statement_timeout_ms.
 * A session given up on (a timeout, a cancel, the end of the shutdown grace) gets a cancel request, so the
 * server stops its statement too, and its socket is destroyed.
 */
export class PgSessions {
  private readonly open = new Set<pg.Client>();
  private interrupted = false;
  /** The URL without its credentials, for messages. */
  readonly where: string;

  constructor(
    private readonly url: string,
    private readonly limits: ConnectorLimits,
    private readonly types: pg.CustomTypesConfig,
  ) {
    this.where = url.replace(/\/\/[^@/]*@/, '//');
  }

  async connect(): Promise<pg.Client> {
    if (this.interrupted) throw new Interrupted('the connector was interrupted');
    const { connectTimeoutMs, statementTimeoutMs } = this.limits;
    const client = new pg.Client({
      connectionString: this.url,
      types: this.types,
      connectionTimeoutMillis: connectTimeoutMs,
      // TCP keepalives notice a peer that vanished while a long statement runs.
      keepAlive: true,
      ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
    });
    // A session that dies is reported by the call waiting on it; without a listener the process would crash.
    client.on('error', () => undefined);
    client.once('end', () => this.open.delete(client));
    this.open.add(client);
    try {
      await client.connect();
      return client;
    } catch (error) {
      this.open.delete(client);
      if ((error as Error).message === 'timeout expired') {
        throw new ConnectorError(`PostgreSQL at ${this.where} did not complete the connection within ${connectTimeoutMs} ms (connect_timeout_ms)`);
      }
      throw this.explain(error);
    }
  }

  isOpen(client: pg.Client): boolean {
    return this.open.has(client);
  }

  /** One statement, its answer awaited at most read_timeout_ms. */
  ask<R extends pg.QueryResultRow>(client: pg.Client, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.await(client, client.query<R>(sql, params), 'answer');
  }

  /**
   * Waits for `work` on `client` at most read_timeout_ms, or statement_timeout_ms and a second when that is
   * shorter (the server ends the statement itself first, and its answer says so); past that the session is given up.
   */
  async await<T>(client: pg.Client, work: Promise<T>, what: string): Promise<T> {
    const { readTimeoutMs: read, statementTimeoutMs: statement } = this.limits;
    const byStatement = statement ? statement + STATEMENT_ANSWER_MS : 0;
    const [ms, limit] = byStatement && (!read || byStatement < read) ? [byStatement, `statement_timeout_ms is ${statement}`] : [read, 'read_timeout_ms'];
    try {
      return await bounded(work, {
        ms,
        what: `PostgreSQL at ${this.where} sent no ${what} for ${ms} ms (${limit}); the statement was cancelled`,
        onExpiry: () => this.abandon(client),
      });
    } catch (error) {
      throw error instanceof ConnectorError ? error : this.explain(error);
    }
  }

  /** Ends a session politely; one whose server does not answer within read_timeout_ms is given up. */
  async end(client: pg.Client): Promise<void> {
    if (!this.open.has(client)) return;
    this.open.delete(client);
    await bounded(client.end(), { ms: this.limits.readTimeoutMs, what: 'ending the session', onExpiry: () => this.abandon(client) }).catch(() => undefined);
  }

  /** Cancels what every session but `spare` is doing and closes them; later `connect()` calls refuse. */
  interrupt(spare?: pg.Client): void {
    this.interrupted = true;
    for (const client of [...this.open]) if (client !== spare) this.abandon(client);
  }

  abandon(client: pg.Client): void {
    this.open.delete(client);
    const { processID, secretKey, connection } = client as unknown as { processID: number | null; secretKey: number | null; connection: { stream: Socket } };
    if (processID !== null && secretKey !== null) sendCancel(client.host, client.port, processID, secretKey, this.limits.connectTimeoutMs);
    connection.stream.destroy();
  }

  explain(error: unknown): ConnectorError {
    const e = error as Error & { code?: string };
    if (e instanceof ConnectorError) return e;
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND') return new ConnectorError(`PostgreSQL at ${this.where} is unreachable (${e.code})`);
    if (e.code === '57014' && /statement timeout/.test(e.message)) {
      return new ConnectorError(`PostgreSQL at ${this.where}: ${e.message} (statement_timeout_ms is ${this.limits.statementTimeoutMs})`);
    }
    return new ConnectorError(`PostgreSQL at ${this.where}: ${e.message}`);
  }
}

/**
 * PostgreSQL's CancelRequest: a new socket carrying the session's key. It needs no login and gets no
 * answer, so it works even when the server has no session slot left; at worst it is dropped.
 */
function sendCancel(host: string, port: number, processID: number, secretKey: number, timeoutMs: number): void {
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  const socket = host.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host);
  socket.unref();
  socket.setTimeout(timeoutMs || 30_000, () => socket.destroy());
  socket.on('error', () => undefined);
  socket.once('connect', () => socket.end(message, () => socket.destroy()));
}

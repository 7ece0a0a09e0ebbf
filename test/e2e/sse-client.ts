import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseMessage {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** A Server-Sent Events client over node's http, parsing the stream as EventSource does. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** Resolves when the server ends the stream (or the connection drops). */
  readonly ended: Promise<void>;
  status = 0;
  headers: IncomingMessage['headers'] = {};
  body = '';
  private buffer = '';
  private readonly req: ClientRequest;
  private readonly waiters = new Set<() => void>();
  private readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    let end!: () => void;
    this.ended = new Promise((resolve) => (end = resolve));
    this.req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } });
    this.opened = new Promise((resolve, reject) => {
      this.req.on('response', (res) => {
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.receive(chunk));
        res.on('close', () => {
          end();
          this.notify();
        });
        resolve();
      });
      this.req.on('error', (error) => {
        end();
        reject(error);
      });
    });
    this.req.end();
  }

  /** Waits for the status line and headers. */
  async open(): Promise<this> {
    await this.opened;
    return this;
  }

  /** Drops the connection, as a client whose network goes away. */
  drop(): void {
    this.req.destroy();
  }

  get lines(): SseMessage[] {
    return this.messages.filter((m) => m.event === 'message');
  }

  /** Waits until `done` holds, failing with what was received after `timeoutMs`. */
  async until(done: (client: this) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this)) {
      if (Date.now() > deadline) throw new Error(`Not reached; received ${JSON.stringify(this.messages).slice(-600)}`);
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  private notify(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  private receive(chunk: string): void {
    this.body += chunk;
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const message: { id?: string; event: string; data: string[] } = { event: 'message', data: [] };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('data: ')) message.data.push(line.slice(6));
      }
      if (message.data.length) this.messages.push({ id: message.id, event: message.event, data: JSON.parse(message.data.join('\n')) });
    }
    this.notify();
  }
}

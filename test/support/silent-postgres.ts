import { createServer, type Server, type Socket } from 'node:net';

/**
 * A server on 127.0.0.1 that never answers a query. `accepts: 'only'` takes the TCP connection and stays
 * silent; `accepts: 'session'` also completes PostgreSQL's startup (no password, backend key `pid`/`key`)
 * and then stays silent. Cancel requests that reach it are kept in `cancels`.
 */
export class SilentPostgres {
  readonly cancels: Array<{ pid: number; key: number }> = [];
  readonly pid = 4242;
  readonly key = 1234567;
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  port = 0;

  constructor(private readonly accepts: 'only' | 'session') {}

  async start(): Promise<this> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
      socket.once('data', (packet) => this.first(socket, packet));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  url(settings = ''): string {
    return `postgresql://u:p@127.0.0.1:${this.port}/db${settings}`;
  }

  private first(socket: Socket, packet: Buffer): void {
    if (packet.length >= 16 && packet.readInt32BE(4) === 80877102) {
      this.cancels.push({ pid: packet.readInt32BE(8), key: packet.readInt32BE(12) });
      socket.end();
      return;
    }
    if (this.accepts === 'only') return;
    const auth = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]); // AuthenticationOk
    const keyData = Buffer.alloc(13);
    keyData.write('K', 0);
    keyData.writeInt32BE(12, 1);
    keyData.writeInt32BE(this.pid, 5);
    keyData.writeInt32BE(this.key, 9);
    const ready = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]); // ReadyForQuery, idle
    socket.write(Buffer.concat([auth, keyData, ready]));
  }

  /** Sockets still open: the connector's sessions it has not given up. */
  get open(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

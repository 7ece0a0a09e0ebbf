import { request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The bench's SSE clients, on a thread of their own so their parsing does not hold up the server: each
 * opens the stream, and for every line notes the delay since the time written into its message (`t=<epoch
 * ms>`, stamped just before the append), until `event: end`.
 */
const { url, clients, headers } = workerData as { url: string; clients: number; headers: Record<string, string> };
const delays: number[] = [];
let connected = 0;
let ended = 0;

function open(): void {
  const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
    if (++connected === clients) parentPort!.postMessage({ connected });
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      const now = performance.timeOrigin + performance.now();
      buffer += chunk;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (block.includes('event: end')) {
          res.destroy();
          if (++ended === clients) parentPort!.postMessage({ delays });
          return;
        }
        const stamp = /"message":"t=([\d.]+)"/.exec(block);
        if (stamp) delays.push(now - Number(stamp[1]));
      }
    });
  });
  req.end();
}

for (let i = 0; i < clients; i++) open();

import { Presets, SingleBar } from 'cli-progress';

/** How often a plain progress line is printed when stderr is not a terminal. */
const PLAIN_EVERY_MS = 5000;

export interface Progress {
  update(events: number, position: string): void;
  stop(): void;
}

/** Log positions as numbers, for a bar: SQLite numbers events, EventStoreDB counts bytes ("commit/prepare"). */
export const positionNumber = (position: string | null | undefined) => (position ? Number(position.split('/')[0]) : 0);

/**
 * A progress bar of log positions up to `head` on a terminal; otherwise a plain line now and then (CI logs,
 * pipes), and one at the end.
 */
export function progress(label: string, head: string | undefined): Progress {
  const total = Math.max(positionNumber(head), 1);
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: `${label.padEnd(14)} {bar} {percentage}% | {events} events | {eta}s left`, etaBuffer: 50 }, Presets.shades_classic);
    bar.start(total, 0, { events: 0 });
    return {
      update: (events, position) => bar.update(positionNumber(position), { events }),
      stop: () => {
        bar.update(total);
        bar.stop();
      },
    };
  }
  let last = Date.now();
  let seen = 0;
  return {
    update(events, position) {
      seen = events;
      if (Date.now() - last < PLAIN_EVERY_MS) return;
      last = Date.now();
      console.error(`${label}: ${events} events, ${Math.floor((positionNumber(position) / total) * 100)}% of the log`);
    },
    stop: () => console.error(`${label}: ${seen} events, done`),
  };
}

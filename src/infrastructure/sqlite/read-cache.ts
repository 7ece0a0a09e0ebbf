import { deepFreeze } from '../../core/kept-answers.js';

/** Characters of stored JSON the cache keeps parsed, about 4× that in memory. */
const BUDGET_CHARS = 4_000_000;
/** Jest sets NODE_ENV to `test`. */
const FREEZE_ALL = process.env.NODE_ENV === 'test';
/** Reads remembered (their keys only) to tell a read that comes back from one made once. */
const SEEN_KEYS = 10_000;

interface Answer {
  generation: number;
  value: unknown;
  chars: number;
}

/**
 * The embedded read store's parsed answers (a document, a page), so reading what did not change is neither
 * queried nor parsed again: a job polled by a dashboard, a list of jobs while runs write their logs.
 * Every collection has a generation that each write through this store moves, and an answer is only given
 * back under the generation it was read in. A commit by another connection to the file (a replay from the
 * command line, a second process) shows in SQLite's data_version and forgets every answer, from the next
 * turn of the event loop. Answers are shared, so they are frozen: a caller that changes one fails at once
 * instead of changing the next reader's. Under test, those not kept are frozen too, so such a caller fails
 * at the first read, not only once an answer is read again; elsewhere they are not (freezing a page of 100
 * log lines took ~40 µs, a tenth of the search, for an answer no one else sees).
 * An answer is kept from the second time it is read: a search whose every page and range is new (the job
 * log) would otherwise fill the cache with answers nobody reads again, and the collector with their garbage.
 */
export class ReadCache {
  private readonly answers = new Map<string, Answer>();
  private readonly generations = new Map<string, number>();
  private readonly seen = new Set<string>();
  private chars = 0;
  private version: number;
  private versionChecked = false;

  constructor(private readonly dataVersion: () => number) {
    this.version = dataVersion();
  }

  read<T>(collection: string, key: string, load: () => { value: T; chars: number }): T {
    if (!this.versionChecked) {
      // Once a turn of the event loop: reads in one turn are as of its first; a request's reads, or a page
      // and the tasks of its jobs, see the same commits of other processes, and pay for one look at them.
      this.versionChecked = true;
      setImmediate(() => (this.versionChecked = false));
      const version = this.dataVersion();
      if (version !== this.version) {
        this.forgetAll();
        this.version = version;
      }
    }
    const id = `${collection}\n${key}`;
    const generation = this.generations.get(collection) ?? 0;
    const kept = this.answers.get(id);
    if (kept) {
      this.answers.delete(id);
      if (kept.generation === generation) {
        this.answers.set(id, kept);
        return kept.value as T;
      }
      this.chars -= kept.chars;
    }
    const loaded = load();
    const [value, chars] = [FREEZE_ALL ? deepFreeze(loaded.value) : loaded.value, loaded.chars];
    if (!kept && !this.seen.has(id)) {
      if (this.seen.size >= SEEN_KEYS) this.seen.clear();
      this.seen.add(id);
      return value;
    }
    if (chars > BUDGET_CHARS / 16) return value;
    this.answers.set(id, { generation, value: deepFreeze(value), chars });
    this.chars += chars;
    for (const [oldest, answer] of this.answers) {
      if (this.chars <= BUDGET_CHARS) break;
      this.answers.delete(oldest);
      this.chars -= answer.chars;
    }
    return value;
  }

  /** After a write to the collection, whether or not it committed. */
  changed(collection: string): void {
    this.generations.set(collection, (this.generations.get(collection) ?? 0) + 1);
  }

  forgetAll(): void {
    this.answers.clear();
    this.seen.clear();
    this.chars = 0;
  }
}

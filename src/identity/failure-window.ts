/** How many keys each in-memory table keeps at most, so a flood of made-up logins cannot grow it without end. */
const MAX_KEYS = 100_000;

/**
 * Failures per key in a sliding window: a key with `limit` failures in the last `windowMs` is refused
 * until the oldest of them ages out. Attempts refused here do not count, so Retry-After stays true.
 * An attempt under way counts as a failure until it ends, so a burst of attempts at once cannot get past
 * the limit together.
 */
export class FailureWindow {
  private readonly failures = new Map<string, number[]>();
  private readonly underWay = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Whole seconds until `key` may try again (at least 1), or 0 when it may now. */
  retryAfter(key: string, now: number): number {
    const underWay = this.underWay.get(key) ?? 0;
    if ((this.failures.get(key)?.length ?? 0) + underWay < this.limit) return 0;
    const recent = this.recent(key, now);
    if (recent.length + underWay < this.limit) return 0;
    // Only attempts under way fill the window: they end in a moment.
    if (recent.length < this.limit) return 1;
    return Math.max(1, Math.ceil((recent[recent.length - this.limit] + this.windowMs - now) / 1000));
  }

  begin(key: string): void {
    this.underWay.set(key, (this.underWay.get(key) ?? 0) + 1);
  }

  /** Ends an attempt `begin` started: a failure when it failed at `failedAt`. */
  end(key: string, failedAt?: number): void {
    const underWay = (this.underWay.get(key) ?? 1) - 1;
    if (underWay > 0) this.underWay.set(key, underWay);
    else this.underWay.delete(key);
    if (failedAt !== undefined) this.fail(key, failedAt);
  }

  private fail(key: string, now: number): void {
    const recent = this.recent(key, now);
    recent.push(now);
    if (recent.length > this.limit) recent.splice(0, recent.length - this.limit);
    this.failures.delete(key); // re-inserted last: the map's order is then the order of last failure
    this.failures.set(key, recent);
    if (this.failures.size > MAX_KEYS) {
      this.sweep(now);
      dropOldest(this.failures);
    }
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  /** Forgets keys whose failures have all aged out. */
  sweep(now: number): void {
    for (const [key, times] of this.failures) if (!times.some((t) => t > now - this.windowMs)) this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
  }
}

/** Keys seen within the last `everyMs`: `claim` answers true at most once per key in that time. */
export class RecentKeys {
  private readonly seen = new Map<string, number>();

  constructor(private readonly everyMs: number) {}

  claim(key: string, now: number): boolean {
    const last = this.seen.get(key);
    if (last !== undefined && now - last < this.everyMs) return false;
    this.seen.delete(key);
    this.seen.set(key, now);
    if (this.seen.size > MAX_KEYS) {
      this.sweep(now);
      dropOldest(this.seen);
    }
    return true;
  }

  /** Whether `key` was claimed within the last `everyMs`. */
  has(key: string, now: number): boolean {
    const last = this.seen.get(key);
    return last !== undefined && now - last < this.everyMs;
  }

  sweep(now: number): void {
    for (const [key, last] of this.seen) if (now - last >= this.everyMs) this.seen.delete(key);
  }
}

function dropOldest(map: Map<string, unknown>): void {
  for (const key of map.keys()) {
    if (map.size <= MAX_KEYS) return;
    map.delete(key);
  }
}

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** An import's stage directories in the temp directory: `sluice-stage-<pid>-XXXXXX`. */
const STAGE_DIR = 'sluice-stage-';

/** A new stage directory in `dir`, once the stale ones there are swept. */
export function makeStageDir(dir: string): string {
  sweepStages(dir);
  const made = mkdtempSync(join(dir, `${STAGE_DIR}${process.pid}-`));
  ownStages.add(made);
  return made;
}

export function removeStageDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
  ownStages.delete(path);
}

/** The stage directories this process is using: one of its own pid that is not here is stale (the pid reused). */
const ownStages = new Set<string>();
const sweptAt = new Map<string, number>();

/**
 * Removes, at most once a minute, the stages of processes that are gone (killed while they staged), as far as
 * this process may: one it cannot remove (another user's) is left, and never fails an import.
 */
function sweepStages(dir: string): void {
  if (Date.now() - (sweptAt.get(dir) ?? 0) < 60_000) return;
  sweptAt.set(dir, Date.now());
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.startsWith(STAGE_DIR) && name.slice(STAGE_DIR.length).split('-')[0]);
    const path = join(dir, name);
    if (!pid || (pid === process.pid ? ownStages.has(path) : alive(pid))) continue;
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Another user's, in a sticky temp directory.
    }
  }
}

/** Whether a process of this machine is running (one of another user's too). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

import { readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ConnectionAccess } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import type { ConnectionKind, ConnectionSettings } from './connection.decider.js';

const MAX_LINKS = 40;

/** Kinds whose `path` setting names a file or directory on this machine. */
export const hasPath = (kind: ConnectionKind) => kind === 'csv' || kind === 'sqlite';

/**
 * Where a connection's path really leads (symlinks followed, even dangling ones, through the nearest existing
 * ancestor); refused when that is inside the data dir or outside every SLUICE_CONNECTION_ROOTS root.
 * Checked when a connection is saved and again when it is opened, since links can change in between.
 */
export function confinePath(path: string, access: Pick<ConnectionAccess, 'dataDir' | 'connectionRoots'>): string {
  const real = realTarget(resolve(path));
  if (inside(real, realTarget(access.dataDir))) {
    throw forbidden(`settings.path ${path} leads into Sluice's data directory, which no connection may reach`);
  }
  const roots = access.connectionRoots;
  if (roots.length && !roots.some((root) => inside(real, realTarget(root)))) {
    throw forbidden(`settings.path ${path} is outside the directories connections may reach (SLUICE_CONNECTION_ROOTS=${roots.join(':')})`);
  }
  return real;
}

/** The settings with a file kind's path confined (and made absolute); other kinds unchanged. */
export function confineSettings(kind: ConnectionKind, settings: ConnectionSettings, access: Pick<ConnectionAccess, 'dataDir' | 'connectionRoots'>) {
  if (!hasPath(kind) || typeof settings.path !== 'string' || !settings.path) return settings;
  return { ...settings, path: confinePath(settings.path, access) };
}

/** The file of a table in a CSV directory; a table name that would leave the directory is refused. */
export function tableFile(dir: string, table: string, extension: string): string {
  const file = join(dir, `${table}${extension}`);
  if (/[/\\]/.test(table) || !inside(file, dir) || dirname(relative(dir, file)) !== '.') {
    throw forbidden(`Table name ${table} would leave the connection's directory`);
  }
  return file;
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function realTarget(path: string, links = 0): string {
  if (links > MAX_LINKS) throw forbidden(`settings.path ${path} has too many symbolic links`);
  try {
    return realpathSync(path);
  } catch {
    // Missing, or a dangling link: follow the link by hand, or resolve the parent and keep the last name.
  }
  let target: string | undefined;
  try {
    target = readlinkSync(path);
  } catch {
    target = undefined;
  }
  if (target !== undefined) return realTarget(resolve(dirname(path), target), links + 1);
  const parent = dirname(path);
  return parent === path ? path : join(realTarget(parent, links), basename(path));
}

const forbidden = (message: string) => new DomainError('CONNECTION.PATH_FORBIDDEN', message, 'settings.path');

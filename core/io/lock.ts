/**
 * A lock file that lets one process at a time write into a directory. The lock holds the owner's
 * pid, host and start time; a second process is refused with a message naming the owner. A lock
 * whose process is gone (killed) is stale and taken over. Taking the lock is atomic: the lock is
 * written under a temporary name and hard-linked into place, which fails if it already exists.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.ts';

export const LOCK_FILE = 'prefopt.lock';

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

/** Whether a process with this pid runs on this machine. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined; // gone, or cut short: treat as stale
  }
}

export interface DirLock {
  /** Removes the lock (idempotent). */
  release(): Promise<void>;
}

/**
 * Takes the lock of `dir` for this process, or throws a UserError naming the process that holds it.
 * The lock is also removed when the process exits normally.
 */
export async function lockDir(dir: string, purpose = 'writes into'): Promise<DirLock> {
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const temp = path.join(dir, `.${LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(temp, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readOwner(file);
      if (owner && owner.pid !== process.pid && (owner.host !== me.host || alive(owner.pid))) {
        const where = owner.host === me.host ? '' : ` on host ${owner.host}`;
        throw new UserError(
          `${dir}: another prefopt process (pid ${owner.pid}${where}, started ${owner.started}) ${purpose} this directory; ` +
            `wait for it to finish, or choose another output. If no such process runs, delete ${file}`,
        );
      }
      if (attempt >= 3) throw new UserError(`${dir}: cannot take the lock ${file}; delete it if no prefopt process uses this directory`);
      await unlink(file).catch(() => undefined); // stale: its process is gone
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  const onExit = () => {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      const owner = await readOwner(file);
      if (owner?.pid === process.pid) await unlink(file).catch(() => undefined);
    },
  };
}

/**
 * Atomic file and directory writes: write to a temporary sibling, then rename over the target, so
 * a reader (or a resumed run) never sees a half-written file, even if the process is killed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to `file` atomically (temp file + fsync + rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = tempSibling(file);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Fills a directory atomically: `fill(tempDir)` writes the contents into a temporary sibling
 * directory, which then replaces `dir` (the old one, if any, is removed only after the new one
 * is complete).
 */
export async function writeDirAtomic(dir: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  const temp = tempSibling(dir);
  const old = tempSibling(dir);
  await mkdir(temp, { recursive: true });
  try {
    await fill(temp);
    try {
      await rename(dir, old);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await rename(temp, dir);
    await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}


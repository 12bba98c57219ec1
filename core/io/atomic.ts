/**
 * Atomic file and directory writes: write to a temporary sibling, then rename over the target, so
 * a reader (or a resumed run) never sees a half-written file, even if the process is killed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileError } from './fs-errors.ts';

function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Names of the temporary siblings above: `.NAME.PID.HEX.tmp`. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temporary files and directories an interrupted atomic write left in `dir` (not
 * recursive). Only call it while no other process writes into `dir` (hold its lock).
 * Returns the names removed.
 */
export async function removeLeftoverTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const leftovers = names.filter((name) => TEMP_NAME.test(name));
  for (const name of leftovers) await rm(path.join(dir, name), { recursive: true, force: true });
  return leftovers;
}

/**
 * Writes `data` to `file` atomically (temp file + fsync + rename). A failing system call
 * (ENOSPC, EACCES, EROFS, ...) is a UserError naming the file.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomicRaw(file, data);
  } catch (error) {
    throw fileError(file, 'write', error);
  }
}

async function writeFileAtomicRaw(file: string, data: string | Uint8Array): Promise<void> {
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
 * is complete). A failing system call is a UserError naming the directory.
 */
export async function writeDirAtomic(dir: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  try {
    await writeDirAtomicRaw(dir, fill);
  } catch (error) {
    throw fileError(dir, 'write', error);
  }
}

async function writeDirAtomicRaw(dir: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
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


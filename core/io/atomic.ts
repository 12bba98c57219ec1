/**
 * Atomic file and directory writes: write to a temporary sibling, then rename over the target, so
 * a reader (or a resumed run) never sees a half-written file, even if the process is killed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileError } from './fs-errors.ts';

/**
 * `mkdir -p dir`, with the real reason when it fails: Node's recursive mkdir reports ENOENT where
 * the file system is read-only (EROFS) or not writable (EACCES); creating the first missing
 * directory alone gives the real error.
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = path.resolve(dir);
    while (!(await stat(path.dirname(missing)).then(() => true, () => false)) && path.dirname(missing) !== missing) missing = path.dirname(missing);
    await mkdir(missing); // throws the real error
    throw error;
  }
}

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
  await makeDirectory(path.dirname(file));
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

/** A file written piece by piece that appears under its name only once complete. */
export interface AtomicFile {
  /** Appends `text` to the temporary sibling. */
  write(text: string): Promise<void>;
  /** Syncs the temporary sibling and renames it over the file. */
  commit(): Promise<void>;
  /** Removes the temporary sibling; the file is left as it was. */
  abort(): Promise<void>;
}

/**
 * Opens `file` for a streamed atomic write: what `write` appends goes to a temporary sibling, which
 * `commit` renames into place and `abort` removes. A failing system call (EROFS when opening,
 * ENOSPC on a write, ...) removes the sibling and is a UserError naming the file.
 */
export async function openAtomicFile(file: string): Promise<AtomicFile> {
  const temp = tempSibling(file);
  const fail = async (error: unknown): Promise<never> => {
    await rm(temp, { force: true });
    throw fileError(file, 'write', error);
  };
  const handle = await makeDirectory(path.dirname(file)).then(() => open(temp, 'w')).catch(fail);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    write: (text) => handle.write(text).then(() => undefined, async (error) => {
      await close().catch(() => {});
      return fail(error);
    }),
    commit: async () => {
      try {
        await handle.sync();
        await close();
        await rename(temp, file);
      } catch (error) {
        await close().catch(() => {});
        await fail(error);
      }
    },
    abort: async () => {
      await close().catch(() => {});
      await rm(temp, { force: true });
    },
  };
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
  await makeDirectory(path.dirname(dir));
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


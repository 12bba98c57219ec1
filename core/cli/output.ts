/** Where a command's text goes: a file written atomically (`--out FILE`), or stdout. */
import { once } from 'node:events';
import { openAtomicFile, writeFileAtomic } from '../io/atomic.ts';

export async function writeOutput(text: string, out?: string): Promise<void> {
  if (out) await writeFileAtomic(out, text);
  else process.stdout.write(text);
}

/** Streamed output: to `--out FILE` (which appears only once `finish` succeeds), or to stdout. */
export interface OutputStream {
  write(text: string): Promise<void>;
  /** The output is complete: the file is renamed into place. */
  finish(): Promise<void>;
  /** The command failed: the file's temporary sibling is removed, an existing file is left as it was. */
  abort(): Promise<void>;
}

export async function openOutput(out?: string): Promise<OutputStream> {
  if (out) {
    const file = await openAtomicFile(out);
    return { write: (text) => file.write(text), finish: () => file.commit(), abort: () => file.abort() };
  }
  return {
    // waits while stdout's reader is behind, so memory stays constant
    write: async (text) => {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
    },
    finish: async () => {},
    abort: async () => {},
  };
}

/** Runs `fn` with the output stream of `out`; on an error the output file is not created. */
export async function withOutput(out: string | undefined, fn: (output: OutputStream) => Promise<void>): Promise<void> {
  const output = await openOutput(out);
  try {
    await fn(output);
  } catch (error) {
    await output.abort();
    throw error;
  }
  await output.finish();
}

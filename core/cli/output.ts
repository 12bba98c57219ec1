/** Where a command's text goes: a file written atomically (`--out FILE`), or stdout. */
import { writeFileAtomic } from '../io/atomic.ts';

export async function writeOutput(text: string, out?: string): Promise<void> {
  if (out) await writeFileAtomic(out, text);
  else process.stdout.write(text);
}

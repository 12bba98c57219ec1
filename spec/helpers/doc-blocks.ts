/**
 * The fenced code blocks of a Markdown page, and a small shell-word splitter for their shell
 * blocks (quotes, escapes, line continuations, comments, pipes and redirects; no expansions).
 */
export interface DocBlock {
  /** The page, relative to the repository root. */
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language ('' when none is given). */
  lang: string;
  code: string;
  /** The Markdown just before the block (a few lines), where a page names the file a block is. */
  before: string;
}

export function docBlocks(page: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${page}:${i + 1}: code block never closed`);
    blocks.push({ page, line: i + 1, lang: open[1]!, code: lines.slice(i + 1, end).join('\n') + '\n', before: lines.slice(Math.max(0, i - 4), i).join('\n') });
    i = end;
  }
  return blocks;
}

/** One simple command of a shell script: its words (quotes removed), its line, what it pipes into. */
export interface ShellCommand {
  words: string[];
  /** 1-based line within the script where the command starts. */
  line: number;
  /** Whether the next command reads this one's output (`a | b`). */
  pipesInto: boolean;
  /** The comment lines that directly follow the command's pipeline (e.g. a sample of its output). */
  comment?: string;
}

/** Splits a script into simple commands (split at newlines, `|`, `;`, `&&`, `||`); redirects are dropped. */
export function shellCommands(script: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let line = 1;
  let start = 1;
  let redirect = false;
  /** The line on which a comment line attaches to the last command (the line right after it). */
  let attachLine = 0;
  const endWord = () => {
    if (word === undefined) return;
    if (redirect) redirect = false;
    else words.push(word);
    word = undefined;
  };
  const endCommand = (pipesInto: boolean) => {
    endWord();
    if (words.length > 0) commands.push({ words, line: start, pipesInto });
    words = [];
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (word === undefined && words.length === 0 && c !== '\n' && !/\s/.test(c)) start = line;
    if (c === '\\' && script[i + 1] === '\n') {
      i++;
      line++;
    } else if (c === '\\') {
      word = (word ?? '') + script[++i];
    } else if (c === "'") {
      const close = script.indexOf("'", i + 1);
      if (close < 0) throw new Error(`line ${line}: unterminated '`);
      word = (word ?? '') + script.slice(i + 1, close);
      i = close;
    } else if (c === '"') {
      let text = '';
      for (i++; i < script.length && script[i] !== '"'; i++) text += script[i] === '\\' && '"\\$`'.includes(script[i + 1]!) ? script[++i] : script[i];
      if (i >= script.length) throw new Error(`line ${line}: unterminated "`);
      word = (word ?? '') + text;
    } else if (c === '#' && word === undefined) {
      const eol = script.indexOf('\n', i);
      const text = script.slice(i, eol < 0 ? undefined : eol);
      const last = commands.at(-1);
      if (words.length === 0 && last && !last.pipesInto && line === attachLine) {
        last.comment = last.comment ? `${last.comment}\n${text}` : text;
        attachLine = line + 1;
      }
      i = (eol < 0 ? script.length : eol) - 1;
    } else if (c === '\n') {
      const before = commands.length;
      endCommand(false);
      if (commands.length > before) attachLine = line + 1;
      line++;
    } else if (c === '|' || c === ';' || c === '&') {
      const pipe = c === '|' && script[i + 1] !== '|';
      if (script[i + 1] === c) i++;
      endCommand(pipe);
    } else if (c === '<' || c === '>') {
      endWord();
      if (script[i + 1] === '>' || script[i + 1] === '&') i++;
      redirect = true;
    } else if (/\s/.test(c)) {
      endWord();
    } else {
      word = (word ?? '') + c;
    }
  }
  endCommand(false);
  return commands;
}

/**
 * Command lines as argv. A command travels between our processes as one string only where a user types it too
 * (`mcp-perf proxy --upstream-cmd "…"`); `quoteCommand` builds that string from argv so that `splitCommand` gives the
 * same argv back, whatever the words hold (spaces, quotes, `$`). Nothing here runs a shell.
 */

/** Quotes argv words for splitCommand: each in single quotes, a single quote inside written as '\''. */
export function quoteCommand(argv: readonly string[]): string {
  return argv.map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
}

/**
 * Splits a command line the way a POSIX shell splits words — whitespace, '…' and "…" quoting, backslash escapes —
 * without running a shell. The child is then spawned directly, so signals reach it and not a /bin/sh in between.
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

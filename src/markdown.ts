/**
 * The Markdown source of an assistant message. The kernel's replies are written as text (line
 * by line, some with lists and `code` spans); JupyterLab's rendermime renders this source,
 * sanitized, as it renders a Markdown cell.
 */

const FENCE = /^\s*(```|~~~)/;

/**
 * The Markdown for one reply: its text, line breaks kept (two trailing spaces, Markdown's
 * hard break; not inside fenced code), the slash commands named in `commands` set as code
 * (not inside code spans or after a word, so a path or URL stays as written), and `code`,
 * when the reply carries a cell to insert, as a fenced Python block after the text.
 */
export function replyMarkdown(
  text: string,
  code: string | null = null,
  commands: readonly string[] = []
): string {
  const names = commands.map(escapeRegExp).join('|');
  const command = names ? new RegExp(`(^|[\\s("'])(${names})(?![\\w/])`, 'g') : null;
  let fenced = false;
  const lines = text.split('\n').map(line => {
    if (FENCE.test(line)) {
      fenced = !fenced;
      return line;
    }
    if (fenced) {
      return line;
    }
    const marked = command ? codeCommands(line, command) : line;
    return marked.trim() ? `${marked.trimEnd()}  ` : marked;
  });
  let source = lines.join('\n').trimEnd();
  if (code) {
    const fence = '`'.repeat(Math.max(3, longestRun(code, '`') + 1));
    source += `\n\n${fence}python\n${code.replace(/\n$/, '')}\n${fence}`;
  }
  return source;
}

/** `line` with each command outside its code spans set in backticks. */
function codeCommands(line: string, command: RegExp): string {
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 ? part : part.replace(command, '$1`$2`')))
    .join('');
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

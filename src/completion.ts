/**
 * The slash commands the kernel's chat understands (assistant/chat/commands.py: its HELP text
 * and command table), for completion in the sidebar's input. A Jest test checks this table
 * against that file, so a command added or dropped there fails until it is listed here too.
 */
export interface ISlashCommand {
  /** The name, without the slash. */
  name: string;
  /** What follows the name, as the kernel's /help writes it ('' for none). */
  usage: string;
  description: string;
}

export const SLASH_COMMANDS: readonly ISlashCommand[] = [
  {
    name: 'tune',
    usage: 'DF target=COLUMN [metric=…] [n_trials=…] [model=…] [llm=…]',
    description: 'start a tuning session on a DataFrame'
  },
  { name: 'accept', usage: 'N', description: "run trial N's suggestion as proposed" },
  { name: 'reject', usage: 'N', description: 'do not run trial N' },
  { name: 'edit', usage: 'N key=value', description: 'run trial N with these parameters' },
  { name: 'status', usage: '', description: "the current session's progress" },
  { name: 'best', usage: '', description: 'the best configuration so far' },
  { name: 'stop', usage: '', description: 'stop after the trials in flight' },
  { name: 'resume', usage: '[ID]', description: 'resume the current session (or session ID)' },
  { name: 'explain', usage: 'N', description: 'why trial N was suggested' },
  { name: 'replay', usage: 'ID', description: 'replay a session from the store' },
  { name: 'run', usage: '', description: 'run the command proposed for a plain-language message' },
  { name: 'help', usage: '', description: 'the list of commands' }
];

/**
 * The commands that complete what is typed: the input is a slash and the start of a name
 * (nothing after it yet), and each command whose name starts with it matches, in table order.
 * Anything else (plain language, a command with arguments) completes to nothing.
 */
export function matchCommands(
  value: string,
  commands: readonly ISlashCommand[] = SLASH_COMMANDS
): ISlashCommand[] {
  const typed = /^\/(\w*)$/.exec(value.trimStart());
  if (!typed) {
    return [];
  }
  const prefix = typed[1].toLowerCase();
  return commands.filter(command => command.name.startsWith(prefix));
}

/** The input's text once `command` is taken: its name and a space for the arguments. */
export function completeWith(command: ISlashCommand): string {
  return `/${command.name} `;
}

/**
 * The completion selected after an arrow key: `delta` steps from `index` (-1: none selected
 * yet), wrapping at both ends of a list of `length` entries.
 */
export function moveSelection(index: number, delta: number, length: number): number {
  if (length === 0) {
    return -1;
  }
  if (index < 0) {
    return delta > 0 ? 0 : length - 1;
  }
  return (((index + delta) % length) + length) % length;
}

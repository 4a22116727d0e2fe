import { readFileSync } from 'fs';
import { join } from 'path';

import { completeWith, matchCommands, moveSelection, SLASH_COMMANDS } from '../completion';

const names = (value: string) => matchCommands(value).map(command => command.name);

describe('matchCommands', () => {
  it('lists every command for a lone slash', () => {
    expect(names('/')).toEqual(SLASH_COMMANDS.map(command => command.name));
  });

  it('keeps the commands whose name starts with what is typed, in table order', () => {
    expect(names('/re')).toEqual(['reject', 'resume', 'replay']);
    expect(names('/RE')).toEqual(['reject', 'resume', 'replay']);
    expect(names('/st')).toEqual(['status', 'stop']);
    expect(names('/help')).toEqual(['help']);
    expect(names('  /b')).toEqual(['best']);
  });

  it('completes nothing once arguments start, for plain language, or an unknown name', () => {
    expect(names('/tune ')).toEqual([]);
    expect(names('/tune df')).toEqual([]);
    expect(names('tune a model /t')).toEqual([]);
    expect(names('')).toEqual([]);
    expect(names('/zz')).toEqual([]);
    expect(names('//')).toEqual([]);
  });
});

describe('completeWith', () => {
  it('writes the name and a space for the arguments', () => {
    expect(completeWith(SLASH_COMMANDS.find(c => c.name === 'explain')!)).toBe('/explain ');
  });
});

describe('moveSelection', () => {
  it('starts at the first entry going down and at the last going up', () => {
    expect(moveSelection(-1, 1, 3)).toBe(0);
    expect(moveSelection(-1, -1, 3)).toBe(2);
  });

  it('wraps at both ends', () => {
    expect(moveSelection(2, 1, 3)).toBe(0);
    expect(moveSelection(0, -1, 3)).toBe(2);
    expect(moveSelection(1, 1, 3)).toBe(2);
  });

  it('selects nothing in an empty list', () => {
    expect(moveSelection(-1, 1, 0)).toBe(-1);
  });
});

describe('SLASH_COMMANDS', () => {
  // The kernel's command table is the source: a command added or dropped there must be
  // listed (or dropped) here too, or completion offers what the kernel does not know.
  const source = readFileSync(join(__dirname, '../../assistant/chat/commands.py'), 'utf8');

  it("names the kernel's commands, as its dispatch table does", () => {
    const table = /def _commands\(self\)[\s\S]*?return \{([\s\S]*?)\n\s*\}/.exec(source);
    expect(table).not.toBeNull();
    const kernel = [...table![1].matchAll(/^\s*"(\w+)":/gm)].map(m => m[1]);
    expect(kernel.length).toBeGreaterThan(5);
    expect([...SLASH_COMMANDS.map(c => c.name)].sort()).toEqual([...kernel].sort());
  });

  it("names them in the order of the kernel's /help text", () => {
    const help = /^HELP = """([\s\S]*?)"""/m.exec(source);
    expect(help).not.toBeNull();
    const listed = [...help![1].matchAll(/^\/(\w+)/gm)].map(m => m[1]);
    expect(SLASH_COMMANDS.map(c => c.name)).toEqual(listed);
  });
});

import { replyMarkdown } from '../markdown';

const COMMANDS = ['/help', '/tune', '/run', '/status'];

describe('replyMarkdown', () => {
  it('keeps each line break as a hard break', () => {
    expect(replyMarkdown('first line\nsecond line\n\nnew paragraph')).toBe(
      'first line  \nsecond line  \n\nnew paragraph'
    );
  });

  it('sets the known slash commands as code', () => {
    expect(replyMarkdown('Unknown command /foo. Type /help.', null, COMMANDS)).toBe(
      'Unknown command /foo. Type `/help`.'
    );
    expect(replyMarkdown('/tune DF target=COLUMN [metric=roc_auc]', null, COMMANDS)).toBe(
      '`/tune` DF target=COLUMN [metric=roc_auc]'
    );
    expect(replyMarkdown('type /run (or "/status")', null, COMMANDS)).toBe(
      'type `/run` (or "`/status`")'
    );
  });

  it('leaves commands alone inside code, after a word, or as part of a longer name', () => {
    expect(replyMarkdown('run `/tune df` now', null, COMMANDS)).toBe('run `/tune df` now');
    expect(replyMarkdown('see http://host/help or /tuned or /run/x', null, COMMANDS)).toBe(
      'see http://host/help or /tuned or /run/x'
    );
    const fenced = '```\n/help\nline\n```';
    expect(replyMarkdown(fenced, null, COMMANDS)).toBe(fenced);
  });

  it('appends the code to insert as a Python block, fenced longer than any run in it', () => {
    expect(replyMarkdown('Best so far.', 'x = 1\n')).toBe('Best so far.\n\n```python\nx = 1\n```');
    expect(replyMarkdown('Odd.', 'a = """```"""')).toBe('Odd.\n\n````python\na = """```"""\n````');
  });

  it('keeps HTML in the text for the sanitizer, not for this function, to judge', () => {
    // The rendermime sanitizer strips what is unsafe; here the text passes through as written.
    expect(replyMarkdown('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
  });
});

import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

import type { IEvent } from '../api';
import { foldEvents } from '../fold';
import { ensembleLine, finalLine, resultLines } from '../summary';

/** The shared fixtures, with the lines assistant/records.py's headline() gives. */
const FIXTURES = join(__dirname, '..', '..', 'tests', 'fixtures', 'events');
type Fixture = { events: IEvent[]; headlines: { final: string | null; ensemble: string | null } };
const fixtures: [string, Fixture][] = readdirSync(FIXTURES)
  .filter(name => name.endsWith('.json'))
  .sort()
  .map(name => [name, JSON.parse(readFileSync(join(FIXTURES, name), 'utf-8'))]);

describe('the result in words', () => {
  it.each(fixtures)('%s: the sidebar words it as the CLI does', (_name, fixture) => {
    const final = foldEvents(fixture.events).final;
    expect(final).toBeTruthy();
    expect(finalLine(final!)).toBe(fixture.headlines.final);
    expect(final!.ensemble).toBeTruthy();
    expect(ensembleLine(final!.ensemble!)).toBe(fixture.headlines.ensemble);
    expect(resultLines(final)).toEqual([fixture.headlines.final, fixture.headlines.ensemble]);
  });

  it('has no lines before the final evaluation', () => {
    expect(resultLines(null)).toEqual([]);
    expect(resultLines(undefined)).toEqual([]);
  });
});

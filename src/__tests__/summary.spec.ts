import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

import type { IEvent } from '../api';
import { foldEvents } from '../fold';
import { ensembleLine, finalLine, raceLines, resultLines } from '../summary';

/** The shared fixtures, with the lines assistant/records.py's headline() gives. */
const FIXTURES = join(__dirname, '..', '..', 'tests', 'fixtures', 'events');
type Headlines = { final: string | null; ensemble: string | null; race: string[] };
type Fixture = { events: IEvent[]; headlines: Headlines };
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

  it.each(fixtures)('%s: the race is worded as the CLI words it', (_name, fixture) => {
    expect(raceLines(foldEvents(fixture.events).race)).toEqual(fixture.headlines.race);
  });

  it('an edge case has a race to word', () => {
    const edge = fixtures.find(([name]) => name === 'edge_cases.json')![1];
    expect(edge.headlines.race).toHaveLength(3);
  });

  it('has no lines before the final evaluation', () => {
    expect(resultLines(null)).toEqual([]);
    expect(resultLines(undefined)).toEqual([]);
    expect(raceLines(null)).toEqual([]);
  });
});

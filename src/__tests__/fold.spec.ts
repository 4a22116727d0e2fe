import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

import type { IEvent } from '../api';
import {
  best,
  bestSoFar,
  emptyView,
  foldEvents,
  ISessionView,
  latestSuggestions,
  parsePayload,
  withFactoryDefaults
} from '../fold';

/** The shared fixtures: events, and the view assistant/fold.py makes of them. */
const FIXTURES = join(__dirname, '..', '..', 'tests', 'fixtures', 'events');
const fixtures: [string, { events: IEvent[]; view: ISessionView }][] = readdirSync(FIXTURES)
  .filter(name => name.endsWith('.json'))
  .sort()
  .map(name => [name, JSON.parse(readFileSync(join(FIXTURES, name), 'utf-8'))]);

function event(id: number, kind: string, payload: unknown, trial: number | null = null): IEvent {
  return {
    id,
    kind,
    trial_number: trial,
    payload,
    session_id: 's',
    created_at: '2026-12-02T00:00:00+00:00'
  } as IEvent;
}

beforeEach(() => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

test('there are fixtures to read', () => {
  expect(fixtures.map(([name]) => name)).toEqual(
    expect.arrayContaining(['edge_cases.json', 'recorded_session.json'])
  );
});

describe.each(fixtures)('%s', (_name, { events, view }) => {
  test('folds to the view the Python fold made', () => {
    expect(foldEvents(events)).toStrictEqual(view);
  });

  test('folds the same batch by batch, leaving each start as it was', () => {
    for (let cut = 0; cut <= events.length; cut++) {
      const first = foldEvents(events.slice(0, cut));
      const before = JSON.parse(JSON.stringify(first));
      expect(foldEvents(events.slice(cut), first)).toStrictEqual(view);
      expect(first).toStrictEqual(before);
    }
  });

  test('one event at a time, as a live view polls', () => {
    let folded = emptyView();
    for (const e of events) {
      folded = foldEvents([e], folded);
    }
    expect(folded).toStrictEqual(view);
  });
});

test('the reductions over a view agree with SessionView (edge_cases.json)', () => {
  const { events } = Object.fromEntries(fixtures)['edge_cases.json'];
  const view = foldEvents(events);
  // As SessionView.best_so_far(), best() and latest_suggestions() give them (minimised).
  expect(bestSoFar(view)).toEqual([
    [0, 0.42, 0.42],
    [2, 0.35, 0.35]
  ]);
  expect(best(view)?.number).toBe(2);
  expect(latestSuggestions(view).map(row => row.number)).toEqual([5, 4, 3]);
});

test('the best of a maximised session is the first of equals, later trials lower', () => {
  const { events } = Object.fromEntries(fixtures)['recorded_session.json'];
  const view = foldEvents(events);
  expect(bestSoFar(view).map(([, , top]) => top)).toEqual([
    0.9416666666666668, 0.9499999999999998, 0.9499999999999998, 0.9499999999999998
  ]);
  expect(best(view)?.number).toBe(1);
  expect(best(emptyView())).toBeNull();
});

test('a payload that does not fit its model is skipped and counted', () => {
  const view = foldEvents([
    event(1, 'suggestion', { config: { C: 1 }, source: 'llm', extra: 'x' }, 0),
    event(2, 'trial_finished', { status: 'exploded', value: 0.5 }, 0),
    event(3, 'suggestion', { config: { C: 2 } }, 1), // no source
    event(4, 'trial_finished', { status: 'complete', value: 'high' }, 0),
    event(5, 'mystery', { a: 1 }, 7), // a newer kind: kept, and it names its trial
    event(6, 'trial_finished', { status: 'complete', value: 0.5 }, 0),
    event(7, 'session_created', { spec: { tool: 'knn', metric: 'f1' } }),
    event(8, 'session_started', { review: true })
  ]);
  // What assistant.fold.fold_events makes of the same events.
  expect(view).toStrictEqual({
    ...emptyView(),
    state: 'running',
    review: true,
    // Payloads are kept as written, with their models' defaults filled in.
    started: parsePayload('session_started', { review: true }),
    n_invalid: 4,
    last_event_id: 8,
    trials: {
      '0': {
        number: 0,
        status: 'complete',
        config: { C: 1 },
        source: 'llm',
        value: 0.5,
        duration_s: 0.0,
        error: null,
        decision: null,
        outcome: parsePayload('trial_finished', { status: 'complete', value: 0.5 }),
        suggestion: {
          config: { C: 1 },
          source: 'llm',
          initial: false,
          rationale: '',
          predicted: null,
          llm_pred: null,
          llm_std: null,
          stat_pred: null,
          stat_std: null,
          acquisition: null,
          target: null,
          llm_weight: null,
          fallback: null,
          rejected: [],
          llm_asked: [],
          llm_schedule: {},
          planned_at: null,
          llm_ready: null,
          extra: 'x'
        }
      },
      '7': {
        number: 7,
        status: 'suggested',
        config: {},
        source: null,
        value: null,
        duration_s: null,
        error: null,
        suggestion: null,
        outcome: null,
        decision: null
      }
    }
  });
  expect(console.warn).toHaveBeenCalledTimes(4);
});

test('a payload that is not an object does not fit', () => {
  expect(parsePayload('session_failed', null)).toBeNull();
  expect(parsePayload('session_failed', ['error'])).toBeNull();
  expect(parsePayload('session_failed', { error: 'boom' })).toEqual({ error: 'boom' });
  expect(foldEvents([event(3, 'session_failed', 'boom')])).toStrictEqual({
    ...emptyView(),
    n_invalid: 1,
    last_event_id: 3
  });
});

test('parsing fills defaults on a copy, never on the event', () => {
  const payload = { status: 'complete' };
  expect(parsePayload('trial_finished', payload)).toMatchObject({
    status: 'complete',
    value: null,
    duration_s: 0,
    config: {},
    intermediate_values: []
  });
  expect(payload).toEqual({ status: 'complete' });
});

test('every optional field without a default is one the fold can fill', () => {
  const schema = {
    properties: { events: { properties: {} } },
    $defs: { M: { required: ['a'], properties: { a: {}, b: { type: 'object' }, c: {} } } }
  };
  expect(() => withFactoryDefaults(schema)).toThrow('M.c');
  delete (schema.$defs.M.properties as { c?: unknown }).c;
  expect(withFactoryDefaults(schema).$defs.M.properties?.b.default).toEqual({});
  expect(schema.$defs.M.properties.b).toEqual({ type: 'object' }); // the source is untouched
});

/**
 * The event stream read as a session: the sidebar's copy of `assistant/fold.py`.
 *
 * `foldEvents` turns a session's events into an `ISessionView` with the same JSON shape as
 * the Python `SessionView` (trials keyed by their number as a string), rule for rule; both
 * are tested on the same fixture files (`tests/fixtures/events/`). The payload types are
 * generated from the payload models (`src/events.generated.ts`), and each payload is checked
 * against their JSON Schema (`src/events.schema.json`, kept in the same generated module)
 * before it is folded: one that does not fit its model is skipped and counted in
 * `n_invalid`, as the Python fold does.
 *
 * The check is JSON Schema's (Ajv), not pydantic's lax mode: pydantic also accepts a numeric
 * string for a number or `"yes"` for `true`, which counts as invalid here. `emit()` writes
 * every payload in its JSON form, so only a hand-written event can tell the two apart.
 *
 * A face that follows a session folds each new batch into the view it has:
 *
 *     let view = foldEvents(first);
 *     view = foldEvents(next, view); // `start` is copied, never changed
 */
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';

import type { IEvent } from './api';
import {
  EVENTS_SCHEMA,
  type Decision,
  type FamiliesConsidered,
  type FamilyChosen,
  type FinalEvaluation,
  type LLMHealthChanged,
  type LLMHealthState,
  type RaceView,
  type RungFinished,
  type SessionStarted,
  type SessionView,
  type TrialFinished,
  type TrialRow,
  type UserAction
} from './events.generated';

/** A session as its event stream tells it: `assistant.fold.SessionView`, generated. */
export type ISessionView = SessionView;
/** One trial as the events tell it so far: `assistant.fold.TrialRow`, generated. */
export type ITrialRow = TrialRow;
/** A person's decision on a trial's suggestion (review mode). */
export type IDecision = Decision;
/** The LLM's health as the stream tells it (`assistant.records.LLMHealthState`). */
export type IHealth = LLMHealthState;
export type RowStatus = TrialRow['status'];
export type SessionState = SessionView['state'];
export type HealthState = LLMHealthChanged['state'];
export type Config = { [key: string]: unknown };

/** The view before any event. */
export function emptyView(): ISessionView {
  return {
    state: '',
    error: null,
    metric: 'score',
    direction: 'maximize',
    n_trials: null,
    tool: null,
    review: false,
    started: null,
    trials: {},
    health: { state: 'ok', reason: '', since_trial: null, restarts: 0 },
    n_fallbacks: 0,
    race: null,
    final: null,
    n_invalid: 0,
    last_event_id: 0
  };
}

/** The view after `events`, from `start` (a copy is returned). */
export function foldEvents(
  events: readonly IEvent[],
  start: ISessionView | null = null
): ISessionView {
  const view = copy(start ?? emptyView());
  for (const event of events) {
    apply(view, event);
    view.last_event_id = Math.max(view.last_event_id, event.id);
  }
  return view;
}

/** The trials in order of their numbers. */
export function rows(view: ISessionView): ITrialRow[] {
  return Object.values(view.trials).sort((a, b) => a.number - b.number);
}

/** [trial number, its value, the best value up to it] for each complete trial. */
export function bestSoFar(view: ISessionView): [number, number, number][] {
  const better = (a: number, b: number) => (view.direction === 'maximize' ? a > b : a < b);
  const out: [number, number, number][] = [];
  for (const row of rows(view)) {
    if (row.status === 'complete' && row.value !== null) {
      const last = out.length ? out[out.length - 1][2] : null;
      out.push([row.number, row.value, last === null || better(row.value, last) ? row.value : last]);
    }
  }
  return out;
}

/** The best complete trial (the first of equals), or null. */
export function best(view: ISessionView): ITrialRow | null {
  const points = bestSoFar(view);
  if (!points.length) {
    return null;
  }
  const top = points[points.length - 1][2];
  return view.trials[String(points.find(([, value]) => value === top)![0])];
}

/** The last `n` trials that have a suggestion, newest first. */
export function latestSuggestions(view: ISessionView, n = 3): ITrialRow[] {
  return rows(view)
    .reverse()
    .filter(row => row.suggestion !== null)
    .slice(0, n);
}

type Property = { type?: string; default?: unknown };
type Schema = {
  $defs: { [name: string]: { properties?: { [key: string]: Property }; required?: string[] } };
  properties: { events: { properties: { [kind: string]: { $ref: string } } } };
};

/**
 * The schema as Ajv fills defaults from it. pydantic writes no `default` for a
 * `default_factory` field; every one in these models makes an empty dict or list, so such a
 * field (optional, without a default) gets `{}` or `[]` here.
 */
export function withFactoryDefaults(source: Schema): Schema {
  const schema = copy(source);
  for (const [name, model] of Object.entries(schema.$defs)) {
    const required = new Set(model.required ?? []);
    for (const [key, prop] of Object.entries(model.properties ?? {})) {
      if (required.has(key) || 'default' in prop) {
        continue;
      }
      if (prop.type === 'object') {
        prop.default = {};
      } else if (prop.type === 'array') {
        prop.default = [];
      } else {
        throw new Error(`${name}.${key}: optional without a default this fold can fill`);
      }
    }
  }
  return schema;
}

const SCHEMA = withFactoryDefaults(EVENTS_SCHEMA as unknown as Schema);
// pydantic also writes defaults inside `anyOf` (a nested model or null), which Ajv does not
// fill and strict mode refuses; the fold reads none of them.
const ajv = new Ajv2020({ useDefaults: true, strictSchema: false });
ajv.addSchema(SCHEMA, 'events');
const VALIDATORS = new Map<string, ValidateFunction>(
  Object.entries(SCHEMA.properties.events.properties).map(([kind, { $ref }]) => [
    kind,
    ajv.getSchema(`events${$ref}`) as ValidateFunction
  ])
);
const FINAL_KEYS = Object.keys(SCHEMA.$defs.FinalEvaluation.properties ?? {});

/** The payload with its defaults filled in, or null when it does not fit its kind's model. */
export function parsePayload(kind: string, payload: unknown): Config | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return null;
  }
  const validate = VALIDATORS.get(kind);
  const filled = copy(payload);
  if (validate && !validate(filled)) {
    // A face must not die of one bad event: skip it, and say so.
    console.warn(
      `automl-assistant: event of kind ${kind} does not fit its model, skipped:`,
      ajv.errorsText(validate.errors)
    );
    return null;
  }
  return filled as Config; // an unknown kind's payload is kept as it was written
}

function apply(view: ISessionView, event: IEvent): void {
  const payload = parsePayload(event.kind, event.payload);
  if (payload === null) {
    view.n_invalid += 1;
    return;
  }
  const e = { ...event, payload } as IEvent;
  const n = e.trial_number;
  switch (e.kind) {
    case 'llm_degraded':
    case 'llm_unavailable':
    case 'llm_recovered':
      foldHealth(view.health, e.payload, n);
      break;
    case 'session_created':
      view.state = 'created';
      view.metric = e.payload.spec.metric;
      view.direction = e.payload.spec.direction;
      view.n_trials = e.payload.spec.n_trials;
      view.tool = e.payload.spec.tool;
      break;
    case 'tool_chosen':
      view.tool = e.payload.tool;
      break;
    case 'families_considered':
      race(view).considered = e.payload as FamiliesConsidered;
      break;
    case 'rung_finished':
      race(view).rungs.push(e.payload as RungFinished);
      break;
    case 'family_chosen':
      race(view).chosen = e.payload as FamilyChosen;
      break;
    case 'session_started':
      view.state = 'running';
      view.review = Boolean(e.payload.review);
      view.started = e.payload as SessionStarted;
      view.error = null;
      break;
    case 'session_finished':
    case 'session_stopped':
      view.state = e.kind === 'session_finished' ? 'finished' : 'stopped';
      settleEdits(view);
      break;
    case 'session_failed':
      view.state = 'failed';
      view.error = e.payload.error;
      settleEdits(view);
      break;
    case 'fallback':
      view.n_fallbacks += 1;
      break;
    case 'final_evaluation': {
      const final = e.payload;
      view.final = Object.fromEntries(FINAL_KEYS.map(key => [key, final[key]])) as FinalEvaluation;
      break;
    }
    case 'user_action':
      decide(view, e.payload);
      break;
    default:
      // Trial events, and kinds newer than this release: each names a row.
      if (n !== null) {
        applyTrial(row(view, n), e);
      }
  }
}

/** The view's race (`model="auto"`), started on its first decision. */
function race(view: ISessionView): RaceView {
  view.race ??= { considered: null, rungs: [], chosen: null };
  return view.race;
}

function applyTrial(row: ITrialRow, e: IEvent): void {
  switch (e.kind) {
    case 'suggestion':
      row.suggestion = e.payload;
      row.source = e.payload.source;
      row.config = { ...e.payload.config };
      break;
    case 'trial_started': {
      const config = e.payload.config ?? {};
      row.status = 'running';
      row.config = Object.keys(config).length ? { ...config } : row.config;
      if (row.decision?.action === 'edit') {
        row.source = 'user'; // the edit the space allowed replaced the suggestion
      }
      break;
    }
    case 'trial_finished': {
      const { status, value, duration_s, error, config } = e.payload;
      row.outcome = e.payload as TrialFinished;
      row.status = status;
      row.value = value ?? null;
      row.duration_s = duration_s ?? null;
      row.error = error ?? null;
      if (status === 'rejected' && config && Object.keys(config).length) {
        row.config = { ...config };
      }
      break;
    }
    case 'trial_abandoned':
      row.status = 'abandoned';
      row.error = e.payload.reason ? `abandoned: ${e.payload.reason}` : 'abandoned';
      break;
  }
}

/** `assistant.llm_health.fold_llm_health` for one change. */
function foldHealth(health: IHealth, change: LLMHealthChanged, trial: number | null): void {
  // A streak of trouble counts from its first sign: degraded at trial 0, then unavailable
  // at trial 5, is "not answering since trial 0".
  if (change.state !== health.state && (change.state === 'ok' || health.state === 'ok')) {
    health.since_trial = trial;
  }
  health.state = change.state;
  health.reason = change.reason;
  if (change.restarted) {
    health.restarts += 1;
  }
}

function decide(view: ISessionView, action: UserAction): void {
  if (action.action === 'stop' || action.trial === null || action.trial === undefined) {
    return;
  }
  const r = row(view, action.trial);
  r.decision = { action: action.action, config: { ...(action.config ?? {}) } };
  // A rejected trial fails without running: no trial_started follows.
  if (action.action === 'reject' && r.status === 'suggested') {
    r.status = 'rejected';
  }
}

/** An edit the space did not allow fails its trial unrun: once the run ends, say so. */
function settleEdits(view: ISessionView): void {
  for (const r of Object.values(view.trials)) {
    if (r.status === 'suggested' && r.decision?.action === 'edit') {
      r.status = 'rejected';
    }
  }
}

/** Views and payloads are JSON, and copied as JSON. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

function row(view: ISessionView, number: number): ITrialRow {
  const key = String(number);
  if (!(key in view.trials)) {
    view.trials[key] = {
      number,
      status: 'suggested',
      config: {},
      source: null,
      value: null,
      duration_s: null,
      error: null,
      suggestion: null,
      outcome: null,
      decision: null
    };
  }
  return view.trials[key];
}

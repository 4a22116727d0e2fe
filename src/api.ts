import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { EventPayloads } from './events.generated';

export type EventKind = keyof EventPayloads;

/**
 * One event of a session's stream, as the server extension sends it: its `payload` is typed
 * by its `kind` (the payload models of `assistant/events.py`, generated into
 * `events.generated.ts`).
 */
export type IEvent = {
  [K in EventKind]: {
    id: number;
    session_id: string;
    created_at: string;
    kind: K;
    trial_number: number | null;
    payload: EventPayloads[K];
  };
}[EventKind];

export interface ISessionSummary {
  id: string;
  name: string;
  status: string;
  created_at: string;
  tool: string | null;
  metric: string | null;
  direction: string | null;
  n_trials: number | null;
}

export interface ITimelineEntry {
  index: number;
  at: string;
  kind: string;
  record_id: number;
  trial_number: number | null;
  title: string;
  detail: { [key: string]: unknown };
}

/** GET a route of the server extension (behind Jupyter's auth). */
export async function requestAPI<T>(
  path: string,
  params: { [key: string]: string | undefined } = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const query = Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${encodeURIComponent(value as string)}`)
    .join('&');
  const url =
    URLExt.join(settings.baseUrl, 'automl-assistant', path) +
    (query ? `?${query}` : '');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  const text = await response.text();
  if (!response.ok) {
    throw new ServerConnection.ResponseError(response, text);
  }
  return JSON.parse(text) as T;
}

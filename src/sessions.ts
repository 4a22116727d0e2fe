import { Widget } from '@lumino/widgets';

import { IEvent, ISessionSummary, ITimelineEntry, requestAPI } from './api';
import { SessionView } from './live';

/**
 * The sessions in the store (including sessions run headless), and a replay of one: a
 * slider steps through its timeline, and the session view shows the state at that step.
 */
export class SessionsPanel extends Widget {
  constructor(private storage: () => string) {
    super();
    this.addClass('jp-AutomlAssistant-sessions');
    const bar = document.createElement('div');
    bar.className = 'jp-AutomlAssistant-toolbar';
    const refresh = document.createElement('button');
    refresh.className = 'jp-mod-styled jp-AutomlAssistant-refresh';
    refresh.textContent = 'Refresh';
    refresh.onclick = () => void this.refresh();
    bar.appendChild(refresh);
    this._list = document.createElement('div');
    this._list.className = 'jp-AutomlAssistant-sessionList';
    this._replay = document.createElement('div');
    this._replay.className = 'jp-AutomlAssistant-replay';
    this.node.append(bar, this._list, this._replay);
  }

  async refresh(): Promise<void> {
    try {
      const body = await requestAPI<{ storage: string; sessions: ISessionSummary[] }>(
        'sessions',
        { storage: this.storage() }
      );
      this.renderList(body.sessions, body.storage);
    } catch (error) {
      this._list.textContent = `Could not list sessions: ${error}`;
    }
  }

  /** Open a session's timeline with the slider at its last step. */
  async openReplay(sessionId: string, storage?: string): Promise<void> {
    const body = await requestAPI<{ entries: ITimelineEntry[] }>(
      `sessions/${encodeURIComponent(sessionId)}/timeline`,
      { storage: storage || this.storage() }
    );
    this._entries = body.entries;
    this._sessionId = sessionId;
    this._replay.replaceChildren();
    const title = document.createElement('h3');
    title.textContent = `Replay of ${sessionId}`;
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.className = 'jp-AutomlAssistant-slider';
    slider.min = '1';
    slider.max = String(Math.max(1, this._entries.length));
    slider.value = slider.max;
    slider.setAttribute('aria-label', 'timeline step');
    this._step = document.createElement('div');
    this._step.className = 'jp-AutomlAssistant-step';
    this._detail = document.createElement('pre');
    this._detail.className = 'jp-AutomlAssistant-detail';
    slider.oninput = () => this.showStep(Number(slider.value));
    this._replay.append(title, slider, this._step, this._detail);
    if (this._view.isAttached) {
      Widget.detach(this._view);
    }
    Widget.attach(this._view, this._replay);
    this.showStep(this._entries.length);
  }

  private showStep(step: number): void {
    const shown = this._entries.slice(0, step);
    const events: IEvent[] = shown
      .filter(e => e.kind !== 'llm_call')
      .map(
        e =>
          // The timeline's detail of an event is its payload; the fold checks it against its kind.
          ({
            id: e.record_id,
            session_id: this._sessionId,
            created_at: e.at,
            kind: e.kind,
            trial_number: e.trial_number,
            payload: e.detail
          }) as IEvent
      );
    this._view.reset(this._sessionId, 'maximize', 'score');
    this._view.addEvents(events);
    const current = shown[shown.length - 1];
    this._step.textContent = current
      ? `Step ${step} of ${this._entries.length}: ${current.title}`
      : 'Empty timeline';
    this._detail.textContent = current ? JSON.stringify(current.detail, null, 1).slice(0, 4000) : '';
  }

  private renderList(sessions: ISessionSummary[], storage: string): void {
    const caption = document.createElement('div');
    caption.className = 'jp-AutomlAssistant-caption';
    caption.textContent = `${sessions.length} session(s) in ${storage}`;
    const table = document.createElement('table');
    table.className = 'jp-AutomlAssistant-sessionTable';
    const head = table.createTHead().insertRow();
    for (const label of ['id', 'name', 'status', 'metric', 'trials']) {
      const th = document.createElement('th');
      th.textContent = label;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const s of [...sessions].reverse()) {
      const tr = body.insertRow();
      tr.className = 'jp-AutomlAssistant-sessionRow';
      tr.dataset.sessionId = s.id;
      tr.title = 'Open and step through its timeline';
      for (const text of [s.id, s.name, s.status, s.metric || '', String(s.n_trials ?? '')]) {
        tr.insertCell().textContent = text;
      }
      tr.onclick = () => void this.openReplay(s.id);
    }
    this._list.replaceChildren(caption, table);
  }

  private _list: HTMLElement;
  private _replay: HTMLElement;
  private _step: HTMLElement = document.createElement('div');
  private _detail: HTMLElement = document.createElement('pre');
  private _view = new SessionView();
  private _entries: ITimelineEntry[] = [];
  private _sessionId = '';
}

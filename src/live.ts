import { InputDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { IEvent } from './api';

/** One trial as the events describe it. */
interface ITrialRow {
  number: number;
  status: string;
  value: number | null;
  source: string;
  config: { [key: string]: any };
  duration: number | null;
}

type SortKey = 'number' | 'status' | 'value' | 'source' | 'duration';

/** A person's decision on a suggestion in review mode, as its user_action event says. */
interface IDecision {
  action: string;
  config: { [key: string]: any };
}

/**
 * Sends a review command (`/accept N`, `/reject N`, `/edit N k=v ...`) through the chat's
 * kernel path; resolves to whether the kernel accepted it.
 */
export type DecideFn = (command: string) => Promise<boolean>;

const DECIDED: { [action: string]: string } = {
  accept: 'Accepted',
  reject: 'Rejected',
  edit: 'Edited',
  pending: 'Sending…'
};

const PLOT_W = 300;
const PLOT_H = 150;
const PAD = 26;

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '–';
  }
  return Number(value.toPrecision(4)).toString();
}

export function formatConfig(config: { [key: string]: any }): string {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : String(v)}`)
    .join(', ');
}

/** A config as `key=value` words for `/edit` (exact numbers; quoted where spaces need it). */
export function configArgs(config: { [key: string]: any }): string {
  return Object.entries(config)
    .map(([k, v]) => {
      const text = String(v);
      return /^[^\s'"]+$/.test(text) ? `${k}=${text}` : `'${k}=${text.replace(/'/g, '')}'`;
    })
    .join(' ');
}

/** The warning shown while the LLM is not answering (null when it is). */
export function healthBanner(state: string, reason: string, since: number | null): string | null {
  const when = since !== null ? ` from trial ${since}` : '';
  const first = reason.trim().split('\n')[0] || 'no reason given';
  const why = first.length <= 200 ? first : first.slice(0, 199) + '…';
  if (state === 'unavailable') {
    return `LLM unavailable${when} (${why}): the search runs statistically.`;
  }
  if (state === 'degraded') {
    return `LLM degraded${when} (${why}): still trying it.`;
  }
  return null;
}

/**
 * A session drawn from its event stream: status line, best-so-far plot, suggestion cards
 * and a sortable trials table. Live view and replay feed it the same events.
 */
export class SessionView extends Widget {
  /** Given (the live view), cards awaiting a decision in review mode get buttons. */
  constructor(decide: DecideFn | null = null) {
    super();
    this._decide = decide;
    this.addClass('jp-AutomlAssistant-session');
    this._banner = this.part('div', 'jp-AutomlAssistant-llmBanner');
    this._status = this.part('div', 'jp-AutomlAssistant-status');
    this._plot = this.part('div', 'jp-AutomlAssistant-plot');
    this._table = this.part('div', 'jp-AutomlAssistant-table');
    this._cards = this.part('div', 'jp-AutomlAssistant-cards');
    this.reset('', 'maximize', 'score');
  }

  reset(sessionId: string, direction: string, metric: string): void {
    this._sessionId = sessionId;
    this._direction = direction;
    this._metric = metric;
    this._trials = new Map();
    this._suggestions = [];
    this._decisions = new Map();
    this._review = false;
    this._state = sessionId ? 'created' : '';
    this._health = { state: 'ok', reason: '', since: null };
    this.render();
  }

  /** Fold events into the view's state, then redraw. */
  addEvents(events: IEvent[]): void {
    if (events.length === 0 && this._rendered) {
      return; // nothing new: keep the DOM (and any button under the pointer) as it is
    }
    for (const event of events) {
      this.apply(event);
    }
    this.render();
  }

  get trialCount(): number {
    return this._trials.size;
  }

  private apply(event: IEvent): void {
    const p = event.payload || {};
    const n = event.trial_number;
    const row = (): ITrialRow => {
      let found = this._trials.get(n as number);
      if (!found) {
        found = {
          number: n as number,
          status: 'suggested',
          value: null,
          source: '',
          config: {},
          duration: null
        };
        this._trials.set(n as number, found);
      }
      return found;
    };
    switch (event.kind) {
      case 'session_created':
        if (p.spec) {
          this._metric = p.spec.metric || this._metric;
          this._direction = p.spec.direction || this._direction;
          this._target = p.spec.n_trials || null;
        }
        this._state = 'created';
        break;
      case 'session_started':
        this._state = p.review ? 'running, review mode' : 'running';
        this._review = Boolean(p.review);
        break;
      case 'user_action':
        if (typeof p.trial === 'number' && p.action !== 'stop') {
          this._decisions.set(p.trial, { action: String(p.action), config: p.config || {} });
          // A rejected trial fails without running: no trial_started or trial_finished follows.
          const rejected = this._trials.get(p.trial);
          if (p.action === 'reject' && rejected && rejected.status === 'suggested') {
            rejected.status = 'rejected';
          }
        }
        break;
      case 'session_finished':
        this._state = 'finished';
        this.settleEdits();
        break;
      case 'session_stopped':
        this._state = 'stopped';
        this.settleEdits();
        break;
      case 'session_failed':
        this._state = 'failed: ' + String(p.error || '').slice(0, 120);
        this.settleEdits();
        break;
      case 'suggestion':
        if (n !== null) {
          const r = row();
          r.source = p.source || '';
          r.config = p.config || r.config;
          this._suggestions.push({ trial: n, payload: p });
        }
        break;
      case 'trial_started':
        if (n !== null) {
          const r = row();
          r.status = 'running';
          r.config = p.config || r.config;
          if (this._decisions.get(n)?.action === 'edit') {
            r.source = 'user'; // the edit the space allowed replaced the suggestion
          }
        }
        break;
      case 'trial_finished':
        if (n !== null) {
          const r = row();
          r.status = p.status || 'finished';
          r.value = typeof p.value === 'number' ? p.value : null;
          r.duration = typeof p.duration_s === 'number' ? p.duration_s : null;
        }
        break;
      case 'trial_abandoned':
        if (n !== null) {
          row().status = 'abandoned';
        }
        break;
      case 'llm_degraded':
      case 'llm_unavailable':
      case 'llm_recovered': {
        const state = String(p.state || 'ok');
        // Trouble counts from its first sign (degraded, then unavailable: the same streak).
        if (state !== this._health.state && (state === 'ok' || this._health.state === 'ok')) {
          this._health.since = n;
        }
        this._health.state = state;
        this._health.reason = String(p.reason || '');
        break;
      }
    }
  }

  /** An edit the space did not allow fails its trial unrun: once the run ends, say so. */
  private settleEdits(): void {
    for (const t of this._trials.values()) {
      if (t.status === 'suggested' && this._decisions.get(t.number)?.action === 'edit') {
        t.status = 'rejected';
      }
    }
  }

  private render(): void {
    this._rendered = true;
    this.renderBanner();
    this.renderStatus();
    this.renderPlot();
    this.renderCards();
    this.renderTable();
  }

  /** The LLM's health, as assistant/llm_health.py's banner() words it: never a footnote. */
  private renderBanner(): void {
    const { state, reason, since } = this._health;
    const text = healthBanner(state, reason, since);
    this._banner.textContent = text || '';
    this._banner.hidden = !text;
    this._banner.dataset.state = state;
  }

  private renderStatus(): void {
    if (!this._sessionId) {
      this._status.textContent = 'No session yet. Start one with /tune in the chat.';
      return;
    }
    const done = [...this._trials.values()].filter(
      t => !['suggested', 'running'].includes(t.status)
    ).length;
    const best = this.best();
    this._status.textContent =
      `Session ${this._sessionId}: ${this._state}, ${done}` +
      (this._target ? ` of ${this._target}` : '') +
      ' trials' +
      (best ? `; best ${this._metric} ${formatNumber(best.value)} (trial ${best.number})` : '');
  }

  private best(): ITrialRow | null {
    let best: ITrialRow | null = null;
    for (const t of this._trials.values()) {
      if (t.status !== 'complete' || t.value === null) {
        continue;
      }
      if (!best || this.better(t.value, best.value as number)) {
        best = t;
      }
    }
    return best;
  }

  private better(a: number, b: number): boolean {
    return this._direction === 'minimize' ? a < b : a > b;
  }

  private renderPlot(): void {
    const points = [...this._trials.values()]
      .filter(t => t.status === 'complete' && t.value !== null)
      .sort((a, b) => a.number - b.number);
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', `0 0 ${PLOT_W} ${PLOT_H}`);
    svg.setAttribute('class', 'jp-AutomlAssistant-plotSvg');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `best ${this._metric} so far`);
    this._plot.replaceChildren(svg);
    if (points.length === 0) {
      return;
    }
    const values = points.map(p => p.value as number);
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    if (hi - lo < 1e-12) {
      lo -= 0.5;
      hi += 0.5;
    }
    const maxN = Math.max(1, points[points.length - 1].number);
    const x = (n: number) => PAD + ((PLOT_W - 2 * PAD) * n) / maxN;
    const y = (v: number) => PLOT_H - PAD - ((PLOT_H - 2 * PAD) * (v - lo)) / (hi - lo);
    const add = (tag: string, attrs: { [k: string]: string | number }, text?: string) => {
      const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
      for (const [k, v] of Object.entries(attrs)) {
        el.setAttribute(k, String(v));
      }
      if (text !== undefined) {
        el.textContent = text;
      }
      svg.appendChild(el);
      return el;
    };
    add('line', { x1: PAD, y1: PLOT_H - PAD, x2: PLOT_W - PAD, y2: PLOT_H - PAD, class: 'axis' });
    add('line', { x1: PAD, y1: PAD, x2: PAD, y2: PLOT_H - PAD, class: 'axis' });
    add('text', { x: 2, y: PAD - 6, class: 'label' }, formatNumber(hi));
    add('text', { x: 2, y: PLOT_H - 6, class: 'label' }, formatNumber(lo));
    add('text', { x: PLOT_W - PAD, y: PLOT_H - 6, class: 'label' }, `trial ${maxN}`);
    let bestSoFar: number | null = null;
    const path: string[] = [];
    for (const p of points) {
      const v = p.value as number;
      if (bestSoFar === null || this.better(v, bestSoFar)) {
        bestSoFar = v;
      }
      path.push(`${path.length ? 'L' : 'M'}${x(p.number).toFixed(1)},${y(bestSoFar).toFixed(1)}`);
      add('circle', { cx: x(p.number).toFixed(1), cy: y(v).toFixed(1), r: 3, class: 'trial' });
    }
    add('path', { d: path.join(' '), class: 'best' });
  }

  private renderCards(): void {
    const latest = this._suggestions.slice(-3).reverse();
    this._cards.replaceChildren(
      ...latest.map(({ trial, payload }) => {
        const card = document.createElement('div');
        card.className = 'jp-AutomlAssistant-card';
        const head = document.createElement('div');
        head.className = 'jp-AutomlAssistant-cardHead';
        head.textContent = `Trial ${trial} · ${payload.source || '?'}`;
        const config = document.createElement('div');
        config.textContent = formatConfig(payload.config || {});
        card.append(head, config);
        if (payload.predicted !== null && payload.predicted !== undefined) {
          const spread = payload.stat_std ?? payload.llm_std;
          const pred = document.createElement('div');
          pred.textContent =
            `predicted ${formatNumber(payload.predicted)}` +
            (spread !== null && spread !== undefined ? ` ± ${formatNumber(spread)}` : '');
          card.appendChild(pred);
        }
        if (payload.rationale) {
          const why = document.createElement('div');
          why.className = 'jp-AutomlAssistant-rationale';
          why.textContent = payload.rationale; // LLM output is data: text only, never HTML
          card.appendChild(why);
        }
        if (payload.fallback) {
          const fb = document.createElement('div');
          fb.className = 'jp-AutomlAssistant-fallback';
          fb.textContent = `fallback: ${payload.fallback}`;
          card.appendChild(fb);
        }
        this.renderReview(card, trial, payload.config || {});
        return card;
      })
    );
  }

  /** Review mode: Accept / Edit / Reject on a card awaiting its decision, else the decision. */
  private renderReview(card: HTMLElement, trial: number, config: { [key: string]: any }): void {
    const decision = this._decisions.get(trial);
    if (decision) {
      const done = document.createElement('div');
      done.className = `jp-AutomlAssistant-decision jp-mod-${decision.action}`;
      done.textContent =
        (DECIDED[decision.action] || decision.action) +
        (decision.action === 'edit' ? `: ${formatConfig(decision.config)}` : '');
      card.appendChild(done);
      return;
    }
    const status = this._trials.get(trial)?.status;
    const running = this._state.startsWith('running');
    if (!this._decide || !this._review || !running || status !== 'suggested') {
      return;
    }
    card.classList.add('jp-mod-awaiting');
    const bar = document.createElement('div');
    bar.className = 'jp-AutomlAssistant-reviewBar';
    const send = async (action: string, command: string, edited: { [key: string]: any }) => {
      this._decisions.set(trial, { action: 'pending', config: {} });
      this.renderCards();
      const ok = await (this._decide as DecideFn)(`${command} session=${this._sessionId}`);
      if (ok) {
        this._decisions.set(trial, { action, config: edited });
      } else {
        this._decisions.delete(trial); // the chat shows why; the buttons come back
      }
      this.renderCards();
    };
    const button = (label: string, action: string, onclick: () => void) => {
      const b = document.createElement('button');
      b.className = `jp-mod-styled jp-AutomlAssistant-review jp-mod-${action}`;
      b.textContent = label;
      b.dataset.action = action;
      b.onclick = onclick;
      bar.appendChild(b);
    };
    button('Accept', 'accept', () => void send('accept', `/accept ${trial}`, {}));
    button('Edit', 'edit', () => void this.edit(trial, config, send));
    button('Reject', 'reject', () => void send('reject', `/reject ${trial}`, {}));
    card.appendChild(bar);
  }

  private async edit(
    trial: number,
    config: { [key: string]: any },
    send: (action: string, command: string, edited: { [key: string]: any }) => Promise<void>
  ): Promise<void> {
    const result = await InputDialog.getText({
      title: `Edit trial ${trial}: key=value, separated by spaces`,
      text: configArgs(config),
      okLabel: 'Run with these'
    });
    const text = (result.value || '').trim();
    if (!result.button.accept || !text || this._decisions.has(trial)) {
      return;
    }
    const edited: { [key: string]: any } = {};
    for (const word of text.split(/\s+/)) {
      const [key, ...rest] = word.replace(/^'|'$/g, '').split('=');
      if (key && rest.length) {
        edited[key] = rest.join('=');
      }
    }
    await send('edit', `/edit ${trial} ${text}`, edited);
  }

  private renderTable(): void {
    const columns: [SortKey, string][] = [
      ['number', '#'],
      ['status', 'status'],
      ['value', this._metric],
      ['source', 'source'],
      ['duration', 's']
    ];
    const table = document.createElement('table');
    table.className = 'jp-AutomlAssistant-trials';
    const head = table.createTHead().insertRow();
    for (const [key, label] of columns) {
      const th = document.createElement('th');
      th.textContent = label + (this._sortKey === key ? (this._sortAsc ? ' ▲' : ' ▼') : '');
      th.dataset.key = key;
      th.onclick = () => {
        this._sortAsc = this._sortKey === key ? !this._sortAsc : true;
        this._sortKey = key;
        this.renderTable();
      };
      head.appendChild(th);
    }
    const th = document.createElement('th');
    th.textContent = 'config';
    head.appendChild(th);
    const body = table.createTBody();
    const rows = [...this._trials.values()].sort((a, b) => {
      const va = a[this._sortKey];
      const vb = b[this._sortKey];
      const order =
        va === null ? 1 : vb === null ? -1 : va < vb ? -1 : va > vb ? 1 : 0;
      return this._sortAsc ? order : -order;
    });
    for (const t of rows) {
      const tr = body.insertRow();
      tr.className = `jp-AutomlAssistant-trial jp-mod-${t.status}`;
      for (const text of [
        String(t.number),
        t.status,
        formatNumber(t.value),
        t.source,
        formatNumber(t.duration),
        formatConfig(t.config)
      ]) {
        tr.insertCell().textContent = text;
      }
    }
    this._table.replaceChildren(table);
  }

  private part(tag: string, className: string): HTMLElement {
    const el = document.createElement(tag);
    el.className = className;
    this.node.appendChild(el);
    return el;
  }

  private _banner: HTMLElement;
  private _health: { state: string; reason: string; since: number | null } = {
    state: 'ok',
    reason: '',
    since: null
  };
  private _status: HTMLElement;
  private _plot: HTMLElement;
  private _cards: HTMLElement;
  private _table: HTMLElement;
  private _sessionId = '';
  private _state = '';
  private _metric = 'score';
  private _direction = 'maximize';
  private _target: number | null = null;
  private _trials = new Map<number, ITrialRow>();
  private _suggestions: { trial: number; payload: any }[] = [];
  private _decisions = new Map<number, IDecision>();
  private _review = false;
  private _rendered = false;
  private _decide: DecideFn | null;
  private _sortKey: SortKey = 'number';
  private _sortAsc = true;
}

import { InputDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { IEvent } from './api';
import type { LLMBudget, LLMBudgetSpent, LLMSpend } from './events.generated';
import {
  best,
  bestSoFar,
  Config,
  emptyView,
  foldEvents,
  ISessionView,
  ITrialRow,
  latestSuggestions,
  rows
} from './fold';
import { raceLines, resultLines } from './summary';

type SortKey = 'number' | 'status' | 'value' | 'source' | 'duration_s';

/** A decision made here, shown until its user_action event comes back. */
interface ILocalDecision {
  action: 'accept' | 'reject' | 'edit' | 'pending';
  config: Config;
}

type Send = (action: ILocalDecision['action'], command: string, edited: Config) => Promise<void>;

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

type PlotlyModule = (typeof import('plotly.js-dist-min'))['default'];
let plotly: Promise<PlotlyModule> | null = null;

/** Plotly is a few MB: its own chunk, fetched when the first plot is drawn. */
function loadPlotly(): Promise<PlotlyModule> {
  plotly ??= import('plotly.js-dist-min').then(module => module.default);
  return plotly;
}

/** A JupyterLab theme colour, for Plotly (which cannot read CSS variables). */
function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** Plotly reads `<br>`, `<b>` and links in its text; a metric's name is shown as written. */
function plotText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '–';
  }
  return Number(value.toPrecision(4)).toString();
}

export function formatConfig(config: Config): string {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : String(v)}`)
    .join(', ');
}

/** A config as `key=value` words for `/edit` (exact numbers; quoted where spaces need it). */
export function configArgs(config: Config): string {
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

/** `n` as Python's `f"{n:g}"` writes it, near enough for a limit a person typed. */
function general(n: number): string {
  return String(Number(n.toPrecision(6)));
}

/** What was spent against each limit, as assistant/records.py's spend_vs_budget() words it. */
export function spendVsBudget(spent: LLMSpend, budget: LLMBudget): string {
  const parts: string[] = [];
  if (budget.max_tokens !== null && budget.max_tokens !== undefined) {
    const [used, limit] = [spent.tokens, budget.max_tokens].map(n => n.toLocaleString('en-US'));
    parts.push(`${used} of ${limit} tokens`);
  }
  if (budget.max_seconds !== null && budget.max_seconds !== undefined) {
    parts.push(`${spent.seconds.toFixed(1)} of ${general(budget.max_seconds)} s`);
  }
  if (budget.max_cost_usd !== null && budget.max_cost_usd !== undefined) {
    const cost = spent.cost_usd === null ? '?' : `$${spent.cost_usd.toFixed(4)}`;
    parts.push(`${cost} of $${general(budget.max_cost_usd)}`);
  }
  return parts.join(', ');
}

/** The warning once the LLM budget is spent, as assistant/fold.py's budget_banner() words it. */
export function budgetBanner(spent: LLMBudgetSpent, since: number | null): string {
  const when = since !== null ? ` from trial ${since}` : '';
  const used = spendVsBudget(spent.spent, spent.budget);
  return `LLM budget spent${when} (${spent.reason}: ${used}): the search runs statistically.`;
}

/** `lines` in `box`, one element each; the box hidden when there are none. */
function showLines(box: HTMLElement, lines: string[]): void {
  box.replaceChildren(
    ...lines.map(text => {
      const line = document.createElement('div');
      line.textContent = text;
      return line;
    })
  );
  box.hidden = lines.length === 0;
}

/**
 * A session drawn from its event stream: status line, best-so-far plot, suggestion cards
 * and a sortable trials table, all from one `ISessionView` (`foldEvents`, the mirror of
 * `assistant/fold.py`). Live view and replay feed it the same events.
 */
export class SessionView extends Widget {
  /** Given (the live view), cards awaiting a decision in review mode get buttons. */
  constructor(decide: DecideFn | null = null) {
    super();
    this._decide = decide;
    this.addClass('jp-AutomlAssistant-session');
    this._banner = this.part('div', 'jp-AutomlAssistant-llmBanner');
    this._status = this.part('div', 'jp-AutomlAssistant-status');
    this._race = this.part('div', 'jp-AutomlAssistant-race');
    this._final = this.part('div', 'jp-AutomlAssistant-final');
    this._plot = this.part('div', 'jp-AutomlAssistant-plot');
    this._table = this.part('div', 'jp-AutomlAssistant-table');
    this._cards = this.part('div', 'jp-AutomlAssistant-cards');
    // A plot drawn while its page was hidden has Plotly's default size: fit it once shown.
    this._resize = new ResizeObserver(() => {
      if (this._plotted && this._plot.clientWidth > 0) {
        void loadPlotly().then(Plotly => Plotly.Plots.resize(this._plot));
      }
    });
    this._resize.observe(this._plot);
    this.reset('', 'maximize', 'score');
  }

  /** Start over for `sessionId`, with what is known of it before its events. */
  reset(sessionId: string, direction: string, metric: string): void {
    this._sessionId = sessionId;
    this._view = {
      ...emptyView(),
      state: sessionId ? 'created' : '',
      direction: direction === 'minimize' ? 'minimize' : 'maximize',
      metric
    };
    this._local = new Map();
    this._budget = null;
    this.render();
  }

  /** Fold events into the view, then redraw. */
  addEvents(events: IEvent[]): void {
    if (events.length === 0 && this._rendered) {
      return; // nothing new: keep the DOM (and any button under the pointer) as it is
    }
    for (const e of events) {
      if (e.kind === 'llm_budget_spent') {
        this._budget = budgetBanner(e.payload, e.trial_number);
      }
    }
    this._view = foldEvents(events, this._view);
    this.render();
  }

  /** The session as the events so far tell it. */
  get view(): ISessionView {
    return this._view;
  }

  get trialCount(): number {
    return Object.keys(this._view.trials).length;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resize.disconnect();
    if (this._plotted) {
      void loadPlotly().then(Plotly => Plotly.purge(this._plot));
    }
    super.dispose();
  }

  private render(): void {
    this._rendered = true;
    this.renderBanner();
    this.renderStatus();
    this.renderPlot();
    this.renderCards();
    this.renderTable();
  }

  /**
   * The LLM's health, as assistant/llm_health.py's banner() words it, and its spent budget:
   * never a footnote.
   */
  private renderBanner(): void {
    const { state, reason, since_trial } = this._view.health;
    const health = healthBanner(state, reason, since_trial);
    const text = [health, this._budget].filter(Boolean).join(' ');
    this._banner.textContent = text;
    this._banner.hidden = !text;
    this._banner.dataset.state = health || !this._budget ? state : 'degraded';
  }

  private renderStatus(): void {
    if (!this._sessionId) {
      this._status.textContent = 'No session yet. Start one with /tune in the chat.';
      return;
    }
    const view = this._view;
    let state: string = view.state;
    if (view.state === 'running' && view.review) {
      state = 'running, review mode';
    } else if (view.state === 'failed') {
      state = 'failed: ' + (view.error ?? '').slice(0, 120);
    }
    const done = rows(view).filter(t => !['suggested', 'running'].includes(t.status)).length;
    const top = best(view);
    this._status.textContent =
      `Session ${this._sessionId}: ${state}, ${done}` +
      (view.n_trials ? ` of ${view.n_trials}` : '') +
      ' trials' +
      (top ? `; best ${view.metric} ${formatNumber(top.value)} (trial ${top.number})` : '') +
      (view.started?.llm_model ? `; LLM ${view.started.llm_model}` : '');
    showLines(this._race, raceLines(view.race));
    showLines(this._final, resultLines(view.final));
  }

  /** Best so far with Plotly: each complete trial a marker, the best so far a step line. */
  private renderPlot(): void {
    const token = ++this._plotToken;
    const points = bestSoFar(this._view);
    if (points.length === 0 && !this._plotted) {
      return;
    }
    loadPlotly()
      .then(Plotly => {
        if (token !== this._plotToken || this.isDisposed) {
          return; // a later render draws what is current
        }
        if (points.length === 0) {
          Plotly.purge(this._plot);
          this._plotted = false;
          return;
        }
        const x = points.map(([n]) => n);
        const font = themeColor('--jp-ui-font-color1', '#333');
        const grid = themeColor('--jp-border-color2', '#e0e0e0');
        const axis = { gridcolor: grid, zerolinecolor: grid, automargin: true };
        void Plotly.react(
          this._plot,
          [
            {
              type: 'scatter',
              mode: 'markers',
              name: 'trial',
              x,
              y: points.map(([, value]) => value),
              marker: { size: 7, color: themeColor('--jp-brand-color2', '#64b5f6') },
              hovertemplate: 'trial %{x}: %{y:.4g}<extra></extra>'
            },
            {
              type: 'scatter',
              mode: 'lines',
              name: 'best so far',
              x,
              y: points.map(([, , top]) => top),
              line: { shape: 'hv', width: 2, color: themeColor('--jp-brand-color1', '#1976d2') },
              hovertemplate: 'best after trial %{x}: %{y:.4g}<extra></extra>'
            }
          ],
          {
            height: 190,
            margin: { l: 8, r: 8, t: 24, b: 8 },
            font: { size: 10, color: font },
            paper_bgcolor: 'rgba(0,0,0,0)',
            plot_bgcolor: 'rgba(0,0,0,0)',
            showlegend: true,
            legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
            // Trial numbers are whole: one tick each while they are few, Plotly's beyond.
            xaxis: {
              ...axis,
              title: { text: 'trial' },
              tickformat: 'd',
              rangemode: 'tozero',
              dtick: x[x.length - 1] < 10 ? 1 : undefined
            },
            yaxis: { ...axis, title: { text: plotText(this._view.metric) } }
          },
          { displayModeBar: false, responsive: true }
        );
        this._plotted = true;
      })
      .catch(error => {
        console.warn('automl-assistant: the plot could not be drawn', error);
        this._plot.textContent = `The plot could not be drawn: ${error}`;
      });
  }

  private renderCards(): void {
    this._cards.replaceChildren(
      ...latestSuggestions(this._view, 3).map(row => {
        const s = row.suggestion!;
        const card = document.createElement('div');
        card.className = 'jp-AutomlAssistant-card';
        const head = document.createElement('div');
        head.className = 'jp-AutomlAssistant-cardHead';
        head.textContent = `Trial ${row.number} · ${s.source || '?'}`;
        const config = document.createElement('div');
        config.textContent = formatConfig(s.config);
        card.append(head, config);
        if (s.predicted !== null && s.predicted !== undefined) {
          const spread = s.stat_std ?? s.llm_std;
          const pred = document.createElement('div');
          pred.textContent =
            `predicted ${formatNumber(s.predicted)}` +
            (spread !== null && spread !== undefined ? ` ± ${formatNumber(spread)}` : '');
          card.appendChild(pred);
        }
        if (s.rationale) {
          const why = document.createElement('div');
          why.className = 'jp-AutomlAssistant-rationale';
          why.textContent = s.rationale; // LLM output is data: text only, never HTML
          card.appendChild(why);
        }
        if (s.fallback) {
          const fb = document.createElement('div');
          fb.className = 'jp-AutomlAssistant-fallback';
          fb.textContent = `fallback: ${s.fallback}`;
          card.appendChild(fb);
        }
        this.renderReview(card, row);
        return card;
      })
    );
  }

  /** The decision on a trial: the one its events tell, else the one being sent from here. */
  private decision(trial: number): ILocalDecision | null {
    return this._view.trials[String(trial)]?.decision ?? this._local.get(trial) ?? null;
  }

  /** Review mode: Accept / Edit / Reject on a card awaiting its decision, else the decision. */
  private renderReview(card: HTMLElement, row: ITrialRow): void {
    const trial = row.number;
    const decision = this.decision(trial);
    if (decision) {
      const done = document.createElement('div');
      done.className = `jp-AutomlAssistant-decision jp-mod-${decision.action}`;
      done.textContent =
        (DECIDED[decision.action] || decision.action) +
        (decision.action === 'edit' ? `: ${formatConfig(decision.config)}` : '');
      card.appendChild(done);
      return;
    }
    const running = this._view.state === 'running';
    if (!this._decide || !this._view.review || !running || row.status !== 'suggested') {
      return;
    }
    card.classList.add('jp-mod-awaiting');
    const bar = document.createElement('div');
    bar.className = 'jp-AutomlAssistant-reviewBar';
    const decide = this._decide;
    const send: Send = async (action, command, edited) => {
      this._local.set(trial, { action: 'pending', config: {} });
      this.renderCards();
      const ok = await decide(`${command} session=${this._sessionId}`);
      if (ok) {
        this._local.set(trial, { action, config: edited });
      } else {
        this._local.delete(trial); // the chat shows why; the buttons come back
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
    const config = row.suggestion?.config ?? row.config;
    button('Accept', 'accept', () => void send('accept', `/accept ${trial}`, {}));
    button('Edit', 'edit', () => void this.edit(trial, config, send));
    button('Reject', 'reject', () => void send('reject', `/reject ${trial}`, {}));
    card.appendChild(bar);
  }

  private async edit(trial: number, config: Config, send: Send): Promise<void> {
    const result = await InputDialog.getText({
      title: `Edit trial ${trial}: key=value, separated by spaces`,
      text: configArgs(config),
      okLabel: 'Run with these'
    });
    const text = (result.value || '').trim();
    if (!result.button.accept || !text || this.decision(trial)) {
      return;
    }
    const edited: Config = {};
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
      ['value', this._view.metric],
      ['source', 'source'],
      ['duration_s', 's']
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
    const sorted = rows(this._view).sort((a, b) => {
      const va = a[this._sortKey];
      const vb = b[this._sortKey];
      const order = va === null ? 1 : vb === null ? -1 : va < vb ? -1 : va > vb ? 1 : 0;
      return this._sortAsc ? order : -order;
    });
    for (const t of sorted) {
      const tr = body.insertRow();
      tr.className = `jp-AutomlAssistant-trial jp-mod-${t.status}`;
      for (const text of [
        String(t.number),
        t.status,
        formatNumber(t.value),
        t.source ?? '',
        formatNumber(t.duration_s),
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
  /** The spent budget's banner (the view's fold does not read that event yet). */
  private _budget: string | null = null;
  private _status: HTMLElement;
  private _race: HTMLElement;
  private _final: HTMLElement;
  private _plot: HTMLElement;
  private _cards: HTMLElement;
  private _table: HTMLElement;
  private _resize: ResizeObserver;
  private _sessionId = '';
  private _view: ISessionView = emptyView();
  private _local = new Map<number, ILocalDecision>();
  private _rendered = false;
  private _plotted = false;
  private _plotToken = 0;
  private _decide: DecideFn | null;
  private _sortKey: SortKey = 'number';
  private _sortAsc = true;
}

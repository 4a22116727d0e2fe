import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { Panel, Widget } from '@lumino/widgets';

import { IEvent, requestAPI } from './api';
import { IChatReply, IKernelSettings, KernelBridge } from './kernel';
import { SessionView } from './live';
import { SessionsPanel } from './sessions';

export interface ISidebarSettings extends IKernelSettings {
  pollIntervalMs: number;
  reviewMode: boolean;
}

const TERMINAL = new Set(['session_finished', 'session_stopped', 'session_failed']);

/** The sidebar: chat with slash commands, the live session view, sessions and replay. */
export class AssistantSidebar extends Panel {
  /**
   * `setReviewMode` saves the "Review suggestions" toggle as the `reviewMode` setting; without
   * it (no settings registry) the toggle holds for this page only.
   */
  constructor(
    tracker: INotebookTracker,
    settings: () => ISidebarSettings,
    setReviewMode: ((on: boolean) => void) | null = null
  ) {
    super();
    this._tracker = tracker;
    this._settings = settings;
    this._setReviewMode = setReviewMode;
    this._bridge = new KernelBridge(tracker, settings);
    this.id = 'automl-assistant-sidebar';
    this.addClass('jp-AutomlAssistant');
    this.title.caption = 'AutoML assistant';

    const tabs = new Widget({ node: document.createElement('div') });
    tabs.addClass('jp-AutomlAssistant-tabs');
    this.addWidget(tabs);
    this._chat = this.makeChat();
    this._live = new SessionView(async command => (await this.submit(command))?.ok ?? false);
    // The store the kernel reported last wins over the server's default: a kernel started in a
    // notebook's folder finds ./automl-assistant.db there, not where the server runs.
    this._sessions = new SessionsPanel(
      () => this._settings().storageUrl || this._kernelStorage
    );
    const pages: [string, Widget][] = [
      ['Chat', this._chat],
      ['Live', this._live],
      ['Sessions', this._sessions]
    ];
    for (const [label, page] of pages) {
      const button = document.createElement('button');
      button.className = 'jp-AutomlAssistant-tab';
      button.textContent = label;
      button.dataset.tab = label.toLowerCase();
      button.onclick = () => this.showPage(label.toLowerCase());
      tabs.node.appendChild(button);
      page.addClass('jp-AutomlAssistant-page');
      page.node.dataset.page = label.toLowerCase();
      this.addWidget(page);
    }
    this.showPage('chat');
  }

  /** Show one page: chat, live or sessions. */
  showPage(page: string): void {
    for (const widget of this.widgets) {
      if (widget.node.dataset.page) {
        widget.setHidden(widget.node.dataset.page !== page);
      }
    }
    this.node.querySelectorAll('.jp-AutomlAssistant-tab').forEach(el => {
      el.classList.toggle('jp-mod-active', (el as HTMLElement).dataset.tab === page);
    });
    if (page === 'sessions') {
      void this._sessions.refresh();
    }
  }

  private makeChat(): Widget {
    const chat = new Widget();
    chat.addClass('jp-AutomlAssistant-chat');
    this._log = document.createElement('div');
    this._log.className = 'jp-AutomlAssistant-log';
    const form = document.createElement('form');
    form.className = 'jp-AutomlAssistant-form';
    const input = document.createElement('input');
    this._input = input;
    input.className = 'jp-AutomlAssistant-input';
    input.placeholder = '/tune df target=churn metric=roc_auc n_trials=30 — or /help';
    const send = document.createElement('button');
    send.type = 'submit';
    send.className = 'jp-mod-styled jp-mod-accept';
    send.textContent = 'Send';
    form.append(input, send);
    const toggle = document.createElement('label');
    toggle.className = 'jp-AutomlAssistant-reviewToggle';
    toggle.title = 'Each suggestion waits for your Accept, Edit or Reject before its trial runs';
    this._reviewBox = document.createElement('input');
    this._reviewBox.type = 'checkbox';
    this._reviewBox.checked = this._settings().reviewMode;
    this._reviewBox.onchange = () => {
      this._reviewOverride = this._reviewBox.checked;
      this._setReviewMode?.(this._reviewBox.checked);
    };
    toggle.append(this._reviewBox, ' Review suggestions');
    form.onsubmit = event => {
      event.preventDefault();
      const text = input.value.trim();
      if (text) {
        input.value = '';
        void this.submit(text);
      }
    };
    chat.node.append(this._log, form, toggle);
    this.say('assistant', 'Type /help for the commands. Tuning runs in the notebook\'s kernel.');
    return chat;
  }

  /** The settings changed: show the saved review mode. */
  settingsChanged(): void {
    this._reviewOverride = null;
    this._reviewBox.checked = this._settings().reviewMode;
  }

  /** Whether a `/tune` from here runs in review mode. */
  get reviewMode(): boolean {
    return this._reviewOverride ?? this._settings().reviewMode;
  }

  /** Send one message to the kernel and show the answer (null if it could not be sent). */
  async submit(text: string): Promise<IChatReply | null> {
    if (this.reviewMode && /^\/tune\s/.test(text) && !/\sreview=/.test(text)) {
      text += ' review=on';
    }
    this.say('user', text);
    const pending = this.say('pending', 'working…');
    let reply: IChatReply;
    try {
      reply = await this._bridge.send(text);
    } catch (error) {
      this.say('error', String((error as Error).message || error));
      return null;
    } finally {
      pending.remove();
    }
    if (reply.storage) {
      this._kernelStorage = reply.storage;
    }
    const message = this.say(reply.ok ? 'assistant' : 'error', reply.text);
    if (reply.code) {
      const insert = document.createElement('button');
      insert.className = 'jp-mod-styled jp-AutomlAssistant-insert';
      insert.textContent = 'Insert as code cell';
      insert.onclick = () => this.insertCell(reply.code as string);
      message.appendChild(insert);
    }
    if (reply.command && reply.proposed) {
      this.propose(message, reply.command);
    } else if (/^\/run\b/.test(text)) {
      this.dismissProposals(); // /run ran (or refused) the proposal: its card is spent
    }
    if (reply.session_id && reply.view === 'live') {
      this.follow(reply.session_id, reply.storage || '');
    } else if (reply.session_id && reply.view === 'replay') {
      this.showPage('sessions');
      await this._sessions.openReplay(reply.session_id, reply.storage || undefined);
    }
    return reply;
  }

  /**
   * A proposal card: the command a plain-language message was understood as, which runs only
   * when the person says so. Run sends /run; Edit puts the command in the input box. Only the
   * newest proposal can run (the kernel keeps one), so older cards are dismissed.
   */
  private propose(message: HTMLElement, command: string): void {
    this.dismissProposals();
    const card = document.createElement('div');
    card.className = 'jp-AutomlAssistant-proposal';
    const code = document.createElement('code');
    code.className = 'jp-AutomlAssistant-proposalCommand';
    code.textContent = command; // built from the request: shown as text, never as HTML
    const run = document.createElement('button');
    run.className = 'jp-mod-styled jp-mod-accept jp-AutomlAssistant-run';
    run.textContent = 'Run';
    run.onclick = () => {
      this.dismissProposals();
      void this.submit('/run');
    };
    const edit = document.createElement('button');
    edit.className = 'jp-mod-styled jp-AutomlAssistant-editCommand';
    edit.textContent = 'Edit';
    edit.onclick = () => {
      this.dismissProposals();
      this._input.value = command;
      this._input.focus();
    };
    card.append(code, run, edit);
    message.appendChild(card);
  }

  private dismissProposals(): void {
    this._log.querySelectorAll('.jp-AutomlAssistant-proposal').forEach(card => {
      card.classList.add('jp-mod-dismissed');
      card.querySelectorAll('button').forEach(b => ((b as HTMLButtonElement).disabled = true));
    });
  }

  private say(who: string, text: string): HTMLElement {
    const div = document.createElement('div');
    div.className = `jp-AutomlAssistant-message jp-mod-${who}`;
    const body = document.createElement('div');
    body.className = 'jp-AutomlAssistant-text';
    body.textContent = text;
    div.appendChild(body);
    this._log.appendChild(div);
    this._log.scrollTop = this._log.scrollHeight;
    return div;
  }

  private insertCell(code: string): void {
    const notebook = this._tracker.currentWidget?.content;
    if (!notebook) {
      return;
    }
    NotebookActions.insertBelow(notebook);
    const cell = notebook.activeCell;
    if (cell) {
      cell.model.sharedModel.setSource(code);
    }
  }

  /** Follow a session's events through the server's events endpoint. */
  private follow(sessionId: string, storage: string): void {
    const token = ++this._followToken;
    this._live.reset(sessionId, 'maximize', 'score');
    this.showPage('live');
    let afterId = 0;
    let finished = false;
    const poll = async () => {
      if (token !== this._followToken || this.isDisposed) {
        return;
      }
      try {
        const body = await requestAPI<{ events: IEvent[]; last_id: number }>(
          `sessions/${encodeURIComponent(sessionId)}/events`,
          { after_id: String(afterId), storage }
        );
        if (token !== this._followToken) {
          return;
        }
        afterId = body.last_id;
        this._live.addEvents(body.events);
        if (body.events.some(e => TERMINAL.has(e.kind))) {
          finished = true;
        }
      } catch (error) {
        console.warn('automl-assistant: polling events failed', error);
      }
      if (!finished) {
        window.setTimeout(poll, this._settings().pollIntervalMs);
      }
    };
    void poll();
  }

  private _tracker: INotebookTracker;
  private _settings: () => ISidebarSettings;
  private _bridge: KernelBridge;
  private _chat: Widget;
  private _live: SessionView;
  private _sessions: SessionsPanel;
  private _log!: HTMLElement;
  private _reviewBox!: HTMLInputElement;
  private _input!: HTMLInputElement;
  private _reviewOverride: boolean | null = null;
  private _setReviewMode: ((on: boolean) => void) | null;
  private _followToken = 0;
  private _kernelStorage = '';
}

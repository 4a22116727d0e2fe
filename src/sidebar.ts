import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { Panel, Widget } from '@lumino/widgets';

import { IEvent, requestAPI } from './api';
import { IChatReply, IKernelSettings, KernelBridge } from './kernel';
import { SessionView } from './live';
import { SessionsPanel } from './sessions';

export interface ISidebarSettings extends IKernelSettings {
  pollIntervalMs: number;
}

const TERMINAL = new Set(['session_finished', 'session_stopped', 'session_failed']);

/** The sidebar: chat with slash commands, the live session view, sessions and replay. */
export class AssistantSidebar extends Panel {
  constructor(tracker: INotebookTracker, settings: () => ISidebarSettings) {
    super();
    this._tracker = tracker;
    this._settings = settings;
    this._bridge = new KernelBridge(tracker, settings);
    this.id = 'automl-assistant-sidebar';
    this.addClass('jp-AutomlAssistant');
    this.title.caption = 'AutoML assistant';

    const tabs = new Widget({ node: document.createElement('div') });
    tabs.addClass('jp-AutomlAssistant-tabs');
    this.addWidget(tabs);
    this._chat = this.makeChat();
    this._live = new SessionView();
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
    input.className = 'jp-AutomlAssistant-input';
    input.placeholder = '/tune df target=churn metric=roc_auc trials=30 — or /help';
    const send = document.createElement('button');
    send.type = 'submit';
    send.className = 'jp-mod-styled jp-mod-accept';
    send.textContent = 'Send';
    form.append(input, send);
    form.onsubmit = event => {
      event.preventDefault();
      const text = input.value.trim();
      if (text) {
        input.value = '';
        void this.submit(text);
      }
    };
    chat.node.append(this._log, form);
    this.say('assistant', 'Type /help for the commands. Tuning runs in the notebook\'s kernel.');
    return chat;
  }

  /** Send one message to the kernel and show the answer. */
  async submit(text: string): Promise<void> {
    this.say('user', text);
    const pending = this.say('pending', 'working…');
    let reply: IChatReply;
    try {
      reply = await this._bridge.send(text);
    } catch (error) {
      this.say('error', String((error as Error).message || error));
      return;
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
    if (reply.session_id && reply.view === 'live') {
      this.follow(reply.session_id, reply.storage || '');
    } else if (reply.session_id && reply.view === 'replay') {
      this.showPage('sessions');
      await this._sessions.openReplay(reply.session_id, reply.storage || undefined);
    }
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
  private _followToken = 0;
  private _kernelStorage = '';
}

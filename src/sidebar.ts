import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { IRenderMimeRegistry, renderMarkdown } from '@jupyterlab/rendermime';
import { Panel, Widget } from '@lumino/widgets';

import { IEvent, requestAPI } from './api';
import {
  completeWith,
  ISlashCommand,
  matchCommands,
  moveSelection,
  SLASH_COMMANDS
} from './completion';
import { IChatReply, IKernelSettings, KernelBridge } from './kernel';
import { SessionView } from './live';
import { replyMarkdown } from './markdown';
import { SessionsPanel } from './sessions';

export interface ISidebarSettings extends IKernelSettings {
  pollIntervalMs: number;
  reviewMode: boolean;
}

const TERMINAL = new Set(['session_finished', 'session_stopped', 'session_failed']);

const COMMAND_NAMES = SLASH_COMMANDS.map(command => `/${command.name}`);

/** The sidebar: chat with slash commands, the live session view, sessions and replay. */
export class AssistantSidebar extends Panel {
  /**
   * `rendermime` renders the assistant's messages as Markdown (sanitized: a reply is data).
   * `setReviewMode` saves the "Review suggestions" toggle as the `reviewMode` setting; without
   * it (no settings registry) the toggle holds for this page only.
   */
  constructor(
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    settings: () => ISidebarSettings,
    setReviewMode: ((on: boolean) => void) | null = null
  ) {
    super();
    this._tracker = tracker;
    this._rendermime = rendermime;
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
    } else if (page === 'chat') {
      this._log.scrollTop = this._log.scrollHeight; // what came while hidden did not scroll it
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
    input.autocomplete = 'off';
    const send = document.createElement('button');
    send.type = 'submit';
    send.className = 'jp-mod-styled jp-mod-accept';
    send.textContent = 'Send';
    this._completer = document.createElement('ul');
    this._completer.className = 'jp-AutomlAssistant-completer';
    this._completer.id = 'jp-AutomlAssistant-completer';
    this._completer.setAttribute('role', 'listbox');
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-controls', this._completer.id);
    input.setAttribute('aria-autocomplete', 'list');
    input.oninput = () => this.updateCompletions();
    input.onkeydown = event => this.completionKey(event);
    input.onblur = () => this.closeCompletions();
    form.append(this._completer, input, send);
    this.closeCompletions();
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
      this.closeCompletions();
      const text = input.value.trim();
      if (text) {
        input.value = '';
        void this.submit(text);
      }
    };
    chat.node.append(this._log, form, toggle);
    this.say('assistant', "Type /help for the commands. Tuning runs in the notebook's kernel.");
    return chat;
  }

  /** Show the commands that complete what is typed (none selected until an arrow key). */
  private updateCompletions(): void {
    this._matches = matchCommands(this._input.value);
    this._selected = -1;
    this._completer.replaceChildren(
      ...this._matches.map((command, i) => {
        const item = document.createElement('li');
        item.className = 'jp-AutomlAssistant-completion';
        item.id = `jp-AutomlAssistant-completion-${command.name}`;
        item.setAttribute('role', 'option');
        item.dataset.command = command.name;
        const name = document.createElement('code');
        name.textContent = `/${command.name}${command.usage ? ' ' + command.usage : ''}`;
        const description = document.createElement('span');
        description.className = 'jp-AutomlAssistant-completionHelp';
        description.textContent = command.description;
        item.append(name, description);
        // mousedown, not click: the input keeps its focus (a blur would close the list first).
        item.onmousedown = event => {
          event.preventDefault();
          this.takeCompletion(i);
        };
        return item;
      })
    );
    this._completer.hidden = this._matches.length === 0;
    this._input.setAttribute('aria-expanded', String(!this._completer.hidden));
    this.markSelected();
  }

  /**
   * Arrow keys move through the open list, Tab takes the selected (or first) command, Enter
   * takes a command picked with the arrows (otherwise it sends), Escape closes the list.
   */
  private completionKey(event: KeyboardEvent): void {
    if (this._completer.hidden) {
      return;
    }
    const n = this._matches.length;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      this._selected = moveSelection(this._selected, event.key === 'ArrowDown' ? 1 : -1, n);
      this.markSelected();
    } else if (event.key === 'Tab' && !event.shiftKey) {
      this.takeCompletion(Math.max(this._selected, 0));
    } else if (event.key === 'Enter' && this._selected >= 0) {
      this.takeCompletion(this._selected);
    } else if (event.key === 'Escape') {
      this.closeCompletions();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // Escape would otherwise leave the sidebar for the notebook
  }

  private takeCompletion(index: number): void {
    const command: ISlashCommand | undefined = this._matches[index];
    if (command) {
      this._input.value = completeWith(command);
    }
    this.closeCompletions();
    this._input.focus();
  }

  private markSelected(): void {
    this._completer.querySelectorAll('.jp-AutomlAssistant-completion').forEach((item, i) => {
      const selected = i === this._selected;
      item.classList.toggle('jp-mod-active', selected);
      item.setAttribute('aria-selected', String(selected));
      if (selected) {
        this._input.setAttribute('aria-activedescendant', item.id);
        item.scrollIntoView({ block: 'nearest' });
      }
    });
    if (this._selected < 0) {
      this._input.removeAttribute('aria-activedescendant');
    }
  }

  private closeCompletions(): void {
    this._matches = [];
    this._selected = -1;
    this._completer.hidden = true;
    this._completer.replaceChildren();
    this._input.setAttribute('aria-expanded', 'false');
    this._input.removeAttribute('aria-activedescendant');
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
    const message = this.say(reply.ok ? 'assistant' : 'error', reply.text, reply.code);
    if (reply.code) {
      const insert = document.createElement('button');
      insert.className = 'jp-mod-styled jp-AutomlAssistant-insert';
      insert.textContent = 'Insert as code cell';
      insert.onclick = () => this.insertCell(reply.code as string);
      message.appendChild(insert);
    }
    if (reply.command && reply.proposed) {
      this.propose(message, reply.command);
    } else if (reply.ran_proposal || /^\/run\b/.test(text)) {
      this.dismissProposals(); // /run or "yes" ran (or refused) the proposal: its card is spent
    }
    if (reply.session_id && reply.view !== 'replay') {
      this.linkLive(message, reply.session_id, reply.storage || '');
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

  /**
   * A reply about a session: "Open Live" shows that session in the Live tab (following it
   * there first unless Live already shows it).
   */
  private linkLive(message: HTMLElement, sessionId: string, storage: string): void {
    const link = document.createElement('button');
    link.className = 'jp-mod-styled jp-AutomlAssistant-liveLink';
    link.textContent = 'Open Live';
    link.title = `Show session ${sessionId} in the Live tab`;
    link.dataset.session = sessionId;
    link.onclick = () => {
      if (this._followed === sessionId) {
        this.showPage('live');
      } else {
        this.follow(sessionId, storage);
      }
    };
    message.appendChild(link);
  }

  /**
   * One chat message. The assistant's (and the kernel's errors) are Markdown, with `code` as
   * a Python block, rendered by JupyterLab's rendermime: untrusted, so its sanitizer drops
   * scripts and event handlers. The person's own messages are shown as typed, as text.
   */
  private say(who: string, text: string, code: string | null = null): HTMLElement {
    const div = document.createElement('div');
    div.className = `jp-AutomlAssistant-message jp-mod-${who}`;
    const body = document.createElement('div');
    body.className = 'jp-AutomlAssistant-text';
    div.appendChild(body);
    if (who === 'assistant' || who === 'error') {
      body.classList.add('jp-RenderedHTMLCommon', 'jp-RenderedMarkdown');
      void this.renderMarkdown(body, replyMarkdown(text, code, COMMAND_NAMES), text);
    } else {
      body.textContent = text;
    }
    this._log.appendChild(div);
    this._log.scrollTop = this._log.scrollHeight;
    return div;
  }

  private async renderMarkdown(host: HTMLElement, source: string, text: string): Promise<void> {
    const rendermime = this._rendermime;
    try {
      await renderMarkdown({
        host,
        source,
        trusted: false,
        sanitizer: rendermime.sanitizer,
        resolver: null,
        linkHandler: rendermime.linkHandler,
        // No typesetting: a "$" in a reply is a dollar, not LaTeX.
        latexTypesetter: null,
        markdownParser: rendermime.markdownParser,
        shouldTypeset: false
      });
    } catch (error) {
      console.error('automl-assistant: rendering a message as Markdown failed', error);
      host.classList.add('jp-mod-plain');
      host.textContent = text;
    }
    this._log.scrollTop = this._log.scrollHeight;
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
    this._followed = sessionId;
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
  private _rendermime: IRenderMimeRegistry;
  private _settings: () => ISidebarSettings;
  private _bridge: KernelBridge;
  private _chat: Widget;
  private _live: SessionView;
  private _sessions: SessionsPanel;
  private _log!: HTMLElement;
  private _reviewBox!: HTMLInputElement;
  private _input!: HTMLInputElement;
  private _completer!: HTMLUListElement;
  private _matches: ISlashCommand[] = [];
  private _selected = -1;
  private _followed: string | null = null;
  private _reviewOverride: boolean | null = null;
  private _setReviewMode: ((on: boolean) => void) | null;
  private _followToken = 0;
  private _kernelStorage = '';
}

import { INotebookTracker } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { JSONObject, PromiseDelegate } from '@lumino/coreutils';

/** What the kernel answers to a chat message (assistant.chat.commands.ChatReply). */
export interface IChatReply {
  text: string;
  ok: boolean;
  session_id: string | null;
  storage: string | null;
  view: string | null;
  code: string | null;
  /** The canonical slash command a plain-language message was understood as. */
  command?: string | null;
  /** True when `command` waits for the person's /run (it changes something). */
  proposed?: boolean;
  /** True when the message ran the pending proposal (/run, or a plain "yes"). */
  ran_proposal?: boolean;
}

export interface IKernelSettings {
  llmBaseUrl: string;
  llmModel: string;
  storageUrl: string;
}

const TARGET = 'automl_assistant';
const BOOTSTRAP =
  'import assistant.chat.comm as _automl_assistant_comm\n' +
  '_automl_assistant_comm.register()\n' +
  'del _automl_assistant_comm';

/**
 * Talks to the active notebook's kernel through a Jupyter comm: the kernel-side module
 * `assistant.chat.comm` answers chat messages; tuning runs there, next to the data.
 */
export class KernelBridge {
  constructor(
    private tracker: INotebookTracker,
    private settings: () => IKernelSettings
  ) {}

  /** Send one chat message to the current notebook's kernel and wait for its answer. */
  async send(text: string): Promise<IChatReply> {
    const kernel = this.tracker.currentWidget?.sessionContext.session?.kernel;
    if (!kernel) {
      throw new Error('Open a notebook with a running kernel first.');
    }
    const comm = await this.commFor(kernel);
    const id = ++this._nextId;
    const answer = new PromiseDelegate<IChatReply>();
    this._pending.set(id, answer);
    comm.send({ id, text });
    return answer.promise;
  }

  private async commFor(kernel: Kernel.IKernelConnection): Promise<Kernel.IComm> {
    if (this._comm && this._kernel === kernel && !this._comm.isDisposed) {
      return this._comm;
    }
    const done = await kernel.requestExecute({
      code: BOOTSTRAP,
      silent: true,
      store_history: false
    }).done;
    if (done.content.status !== 'ok') {
      throw new Error(
        'The kernel could not load assistant.chat.comm: is automl-assistant installed in it?'
      );
    }
    const comm = kernel.createComm(TARGET);
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => this.onMessage(msg);
    comm.onClose = () => {
      this._comm = null;
    };
    const settings = this.settings();
    const data: JSONObject = { ...settings };
    await comm.open(data).done;
    this._comm = comm;
    this._kernel = kernel;
    return comm;
  }

  private onMessage(msg: KernelMessage.ICommMsgMsg): void {
    const data = msg.content.data as { id?: number | null; reply?: IChatReply };
    if (data.id === null || data.id === undefined) {
      return;
    }
    const pending = this._pending.get(data.id);
    if (pending) {
      this._pending.delete(data.id);
      pending.resolve(data.reply as IChatReply);
    }
  }

  private _comm: Kernel.IComm | null = null;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _nextId = 0;
  private _pending = new Map<number, PromiseDelegate<IChatReply>>();
}

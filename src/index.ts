import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { assistantIcon } from './icon';
import { AssistantSidebar, ISidebarSettings } from './sidebar';

const PLUGIN_ID = 'automl-assistant-jupyterlab:plugin';
const OPEN_COMMAND = 'automl-assistant:open';

const DEFAULTS: ISidebarSettings = {
  llmBaseUrl: '',
  llmModel: '',
  storageUrl: '',
  pollIntervalMs: 1000,
  reviewMode: false
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'AutoML assistant sidebar: chat, live trials, sessions and replay.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ISettingRegistry, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    registry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    let settings: ISidebarSettings = { ...DEFAULTS };
    let saveReviewMode: ((on: boolean) => void) | null = null;
    const sidebar = new AssistantSidebar(
      tracker,
      rendermime,
      () => settings,
      on => saveReviewMode?.(on)
    );
    sidebar.title.icon = assistantIcon;
    app.shell.add(sidebar, 'right', { rank: 900 });
    if (restorer) {
      restorer.add(sidebar, 'automl-assistant');
    }
    if (registry) {
      registry
        .load(PLUGIN_ID)
        .then(loaded => {
          const update = () => {
            settings = { ...DEFAULTS, ...(loaded.composite as Partial<ISidebarSettings>) };
            sidebar.settingsChanged();
          };
          update();
          loaded.changed.connect(update);
          saveReviewMode = on => {
            loaded
              .set('reviewMode', on)
              .catch(reason => console.warn('automl-assistant: saving reviewMode failed', reason));
          };
        })
        .catch(reason => console.error('automl-assistant: settings failed to load', reason));
    }
    app.commands.addCommand(OPEN_COMMAND, {
      label: 'Open AutoML Assistant',
      icon: assistantIcon,
      execute: () => {
        app.shell.activateById(sidebar.id);
      }
    });
    if (palette) {
      palette.addItem({ command: OPEN_COMMAND, category: 'AutoML Assistant' });
    }
  }
};

export default plugin;

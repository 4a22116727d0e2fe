import { LabIcon } from '@jupyterlab/ui-components';

/** The sidebar's icon: a rising best-so-far curve over trial points. */
export const assistantIcon = new LabIcon({
  name: 'automl-assistant:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<circle cx="4" cy="17" r="2"/><circle cx="9" cy="12" r="2"/>' +
    '<circle cx="14" cy="14" r="2"/><circle cx="20" cy="5" r="2"/></g>' +
    '<path class="jp-icon3" fill="none" stroke="#616161" stroke-width="2" ' +
    'd="M2 21h20M4 17l5-5h5l6-7"/></svg>'
});

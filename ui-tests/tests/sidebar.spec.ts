import { expect, test } from '@jupyterlab/galata';

const SHOTS = '../test-artifacts/ui-tests';

test.use({ autoGoto: true });

test('tune from the sidebar, then step through the replay', async ({ page }) => {
  await page.notebook.createNew('tune.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    'from sklearn.datasets import load_breast_cancer\n' +
      'df = load_breast_cancer(as_frame=True).frame.sample(200, random_state=0)\n' +
      'df.shape'
  );
  await page.notebook.runCell(0, true);
  expect(await page.notebook.getCellTextOutput(0)).toEqual(['(200, 31)']);

  // Open the sidebar the way a person does: its icon in the right-hand bar.
  await page.locator('.jp-SideBar.jp-mod-right [data-id="automl-assistant-sidebar"]').click();
  const sidebar = page.locator('#automl-assistant-sidebar');
  await expect(sidebar).toBeVisible();

  const input = sidebar.locator('.jp-AutomlAssistant-input');
  await input.fill('/tune df target=target metric=roc_auc n_trials=5 model=random_forest llm=off');
  await input.press('Enter');

  await expect(sidebar.locator('.jp-AutomlAssistant-trial.jp-mod-complete')).toHaveCount(5, {
    timeout: 180000
  });
  await expect(sidebar.locator('.jp-AutomlAssistant-status')).toContainText('finished', {
    timeout: 60000
  });
  // The held-out result, worded as the CLI summary words it.
  await expect(sidebar.locator('.jp-AutomlAssistant-final')).toContainText(
    /Held-out roc_auc of the best configuration: \d\.\d{4} \(95% CI .*, n=40\)/
  );
  // The best-so-far plot (Plotly): a marker per complete trial, one best-so-far line.
  const plot = sidebar.locator('.jp-AutomlAssistant-plot.js-plotly-plot');
  const traces = plot.locator('.scatterlayer .trace');
  await expect(traces).toHaveCount(2);
  await expect(traces.nth(0).locator('path.point')).toHaveCount(5);
  await expect(traces.nth(1).locator('path.js-line')).toHaveCount(1);
  await expect(plot.locator('.ytitle')).toHaveText('roc_auc');
  const plotted = await plot.evaluate(el => (el as any).data.map((t: any) => t.x));
  expect(plotted).toEqual([
    [0, 1, 2, 3, 4],
    [0, 1, 2, 3, 4]
  ]);
  await expect(sidebar.locator('.jp-AutomlAssistant-card').first()).toContainText('Trial 4');
  await page.screenshot({ path: `${SHOTS}/sidebar-live.png` });

  // Sort the table by score, best first.
  const scoreHeader = sidebar.locator('.jp-AutomlAssistant-trials th[data-key="value"]');
  await scoreHeader.click();
  await scoreHeader.click();
  await expect(scoreHeader).toContainText('▼');

  await sidebar.locator('.jp-AutomlAssistant-tab[data-tab="chat"]').click();
  await input.fill('/best');
  await input.press('Enter');
  await expect(sidebar.locator('.jp-AutomlAssistant-message').last()).toContainText(
    'Best so far: trial',
    { timeout: 30000 }
  );

  await sidebar.locator('.jp-AutomlAssistant-tab[data-tab="sessions"]').click();
  const row = sidebar.locator('.jp-AutomlAssistant-sessionRow');
  await expect(row).toHaveCount(1);
  await row.first().click();
  const slider = sidebar.locator('.jp-AutomlAssistant-slider');
  await expect(slider).toBeVisible();
  const steps = Number(await slider.getAttribute('max'));
  expect(steps).toBeGreaterThan(10);
  await slider.fill('3');
  await expect(sidebar.locator('.jp-AutomlAssistant-step')).toContainText(`Step 3 of ${steps}`);
  await expect(sidebar.locator('.jp-AutomlAssistant-replay .jp-AutomlAssistant-trial')).toHaveCount(
    1
  );
  await page.screenshot({ path: `${SHOTS}/sidebar-replay-step3.png` });
  await slider.fill(String(steps));
  await expect(
    sidebar.locator('.jp-AutomlAssistant-replay .jp-AutomlAssistant-trial.jp-mod-complete')
  ).toHaveCount(5);
  await expect(
    sidebar.locator('.jp-AutomlAssistant-replay .js-plotly-plot .scatterlayer .trace path.point')
  ).toHaveCount(5);
  await page.screenshot({ path: `${SHOTS}/sidebar-replay-end.png` });
});

test('a natural-language chat turn calls a tool', async ({ page }) => {
  await page.notebook.createNew('chat.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    'import pandas as pd\nsales = pd.DataFrame({"price": [1.0, 2.5], "sold": [0, 1]})'
  );
  await page.notebook.runCell(0, true);
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('automl-assistant:open');
  });
  const sidebar = page.locator('#automl-assistant-sidebar');
  const input = sidebar.locator('.jp-AutomlAssistant-input');
  await input.fill('/help');
  await input.press('Enter');
  // The first message loads assistant.chat.comm in the kernel: allow for a slow import.
  await expect(sidebar.locator('.jp-AutomlAssistant-message').last()).toContainText('/replay ID', {
    timeout: 60000
  });
  await input.fill('Which DataFrames do I have?');
  await input.press('Enter');
  const answer = sidebar.locator('.jp-AutomlAssistant-message').last();
  await expect(answer).toContainText('Your kernel has these DataFrames', { timeout: 60000 });
  await expect(answer).toContainText('sales');
  await expect(answer).toContainText('price');
  await page.screenshot({ path: `${SHOTS}/sidebar-chat-agent.png` });
});

test('a plain-language request is proposed, and runs only when Run is clicked', async ({
  page
}) => {
  await page.notebook.createNew('plain.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    'from sklearn.datasets import load_breast_cancer\n' +
      'df = load_breast_cancer(as_frame=True).frame.sample(150, random_state=1)'
  );
  await page.notebook.runCell(0, true);
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('automl-assistant:open');
  });
  const sidebar = page.locator('#automl-assistant-sidebar');
  const input = sidebar.locator('.jp-AutomlAssistant-input');
  await input.fill('please tune a nearest-neighbours model on df, 3 trials');
  await input.press('Enter');
  const card = sidebar.locator('.jp-AutomlAssistant-proposal').last();
  await expect(card).toBeVisible({ timeout: 60000 });
  await expect(card.locator('.jp-AutomlAssistant-proposalCommand')).toHaveText(
    '/tune df target=target n_trials=3 model=knn'
  );
  // Proposed, not run: no session started.
  await expect(sidebar.locator('.jp-AutomlAssistant-tab[data-tab="live"]')).not.toHaveClass(
    /jp-mod-active/
  );
  await page.screenshot({ path: `${SHOTS}/sidebar-proposal.png` });

  // Edit puts the command in the input box (and spends the card).
  await card.locator('.jp-AutomlAssistant-editCommand').click();
  await expect(input).toHaveValue('/tune df target=target n_trials=3 model=knn');
  await expect(card).toHaveClass(/jp-mod-dismissed/);
  await input.fill('');

  // Asked again, then Run: the session starts and its trials stream into Live.
  await input.fill('tune it please');
  await input.press('Enter');
  const again = sidebar.locator('.jp-AutomlAssistant-proposal:not(.jp-mod-dismissed)');
  await expect(again).toHaveCount(1, { timeout: 60000 });
  await again.locator('.jp-AutomlAssistant-run').click();
  await expect(sidebar.locator('.jp-AutomlAssistant-trial.jp-mod-complete')).toHaveCount(3, {
    timeout: 180000
  });
  await expect(sidebar.locator('.jp-AutomlAssistant-status')).toContainText('of 3 trials');
  await expect(sidebar.locator('.jp-AutomlAssistant-proposal:not(.jp-mod-dismissed)')).toHaveCount(
    0
  );
});

test('a plain "yes" runs the proposal and spends its card', async ({ page }) => {
  await page.notebook.createNew('yes.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    'import os\n' +
      '_ = [os.environ.pop(n, None) for n in ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_MODEL")]\n' +
      'from sklearn.datasets import load_breast_cancer\n' +
      'df = load_breast_cancer(as_frame=True).frame.sample(150, random_state=3)'
  );
  await page.notebook.runCell(0, true);
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('automl-assistant:open');
  });
  const sidebar = page.locator('#automl-assistant-sidebar');
  const input = sidebar.locator('.jp-AutomlAssistant-input');
  await input.fill('tune knn on df to predict target, 2 trials, no LLM');
  await input.press('Enter');
  const card = sidebar.locator('.jp-AutomlAssistant-proposal').last();
  await expect(card.locator('.jp-AutomlAssistant-proposalCommand')).toHaveText(
    '/tune df target=target model=knn n_trials=2 llm=off',
    { timeout: 60000 }
  );
  await input.fill('yes');
  await input.press('Enter');
  await expect(card).toHaveClass(/jp-mod-dismissed/, { timeout: 60000 });
  await expect(sidebar.locator('.jp-AutomlAssistant-trial.jp-mod-complete')).toHaveCount(2, {
    timeout: 180000
  });
});

test('with no LLM endpoint the rules read the request; Edit, then send it', async ({ page }) => {
  await page.notebook.createNew('rules.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    // No endpoint in this kernel: plain language goes to the request parser (the default
    // set-up), which needs no LLM for a request that names everything.
    'import os\n' +
      '_ = [os.environ.pop(n, None) for n in ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_MODEL")]\n' +
      'from sklearn.datasets import load_breast_cancer\n' +
      'df = load_breast_cancer(as_frame=True).frame.sample(150, random_state=2)'
  );
  await page.notebook.runCell(0, true);
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('automl-assistant:open');
  });
  const sidebar = page.locator('#automl-assistant-sidebar');
  const input = sidebar.locator('.jp-AutomlAssistant-input');
  await input.fill('tune a random forest on df to predict target for ROC-AUC, 3 trials');
  await input.press('Enter');
  const card = sidebar.locator('.jp-AutomlAssistant-proposal').last();
  await expect(card.locator('.jp-AutomlAssistant-proposalCommand')).toHaveText(
    '/tune df target=target model=random_forest metric=roc_auc n_trials=3',
    { timeout: 60000 }
  );
  await card.locator('.jp-AutomlAssistant-editCommand').click();
  await expect(input).toHaveValue(
    '/tune df target=target model=random_forest metric=roc_auc n_trials=3'
  );
  await input.press('End');
  await input.pressSequentially(' llm=off');
  await input.press('Enter');
  await expect(sidebar.locator('.jp-AutomlAssistant-trial.jp-mod-complete')).toHaveCount(3, {
    timeout: 180000
  });
  await expect(sidebar.locator('.jp-AutomlAssistant-status')).toContainText('finished', {
    timeout: 60000
  });
});

test('review mode: accept each suggestion before its trial runs', async ({ page }) => {
  await page.notebook.createNew('review.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    'from sklearn.datasets import load_breast_cancer\n' +
      'df = load_breast_cancer(as_frame=True).frame.sample(200, random_state=0)\n' +
      'df.shape'
  );
  await page.notebook.runCell(0, true);
  expect(await page.notebook.getCellTextOutput(0)).toEqual(['(200, 31)']);

  await page.locator('.jp-SideBar.jp-mod-right [data-id="automl-assistant-sidebar"]').click();
  const sidebar = page.locator('#automl-assistant-sidebar');
  await expect(sidebar).toBeVisible();

  // The "Review suggestions" toggle adds review=on to /tune.
  const toggle = sidebar.locator('.jp-AutomlAssistant-reviewToggle input');
  await toggle.check();
  const input = sidebar.locator('.jp-AutomlAssistant-input');
  await input.fill('/tune df target=target metric=roc_auc n_trials=3 model=knn llm=off');
  await input.press('Enter');
  await expect(sidebar.locator('.jp-AutomlAssistant-message.jp-mod-user').last()).toContainText(
    'review=on'
  );

  const live = sidebar.locator('[data-page="live"]');
  for (const trial of [0, 1, 2]) {
    const card = live.locator('.jp-AutomlAssistant-card', { hasText: `Trial ${trial} ·` });
    const accept = card.locator('.jp-AutomlAssistant-review[data-action="accept"]');
    // The first answer loads assistant.chat.comm in the kernel and starts the session: slow.
    await expect(accept).toBeVisible({ timeout: trial === 0 ? 120000 : 60000 });
    // Waiting for a decision: the trial has not started.
    await expect(live.locator('.jp-AutomlAssistant-trial').nth(trial)).toHaveClass(
      /jp-mod-suggested/
    );
    if (trial === 2) {
      await page.screenshot({ path: `${SHOTS}/sidebar-review.png` });
    }
    await accept.click();
    await expect(card.locator('.jp-AutomlAssistant-decision')).toContainText('Accepted', {
      timeout: 60000
    });
  }

  await expect(live.locator('.jp-AutomlAssistant-trial.jp-mod-complete')).toHaveCount(3, {
    timeout: 120000
  });
  await expect(sidebar.locator('.jp-AutomlAssistant-status')).toContainText('finished', {
    timeout: 60000
  });
  await page.screenshot({ path: `${SHOTS}/sidebar-review-done.png` });
  await sidebar.locator('.jp-AutomlAssistant-tab[data-tab="chat"]').click();
  await toggle.uncheck();
});

test('review mode: edit and reject from the cards', async ({ page }) => {
  await page.notebook.createNew('edit.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    'from sklearn.datasets import load_breast_cancer\n' +
      'df = load_breast_cancer(as_frame=True).frame.sample(200, random_state=0)'
  );
  await page.notebook.runCell(0, true);
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('automl-assistant:open');
  });
  const sidebar = page.locator('#automl-assistant-sidebar');
  const input = sidebar.locator('.jp-AutomlAssistant-input');
  await input.fill('/tune df target=target n_trials=2 model=knn llm=off review=on');
  await input.press('Enter');
  const live = sidebar.locator('[data-page="live"]');

  const first = live.locator('.jp-AutomlAssistant-card', { hasText: 'Trial 0 ·' });
  await first.locator('[data-action="edit"]').click({ timeout: 120000 });
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input')).toHaveValue(/n_neighbors=5/);
  await dialog.locator('input').fill('n_neighbors=7 weights=distance p=1');
  await dialog.locator('button.jp-mod-accept').click();
  await expect(first.locator('.jp-AutomlAssistant-decision')).toContainText(
    'Edited: n_neighbors=7',
    { timeout: 60000 }
  );

  const second = live.locator('.jp-AutomlAssistant-card', { hasText: 'Trial 1 ·' });
  await second.locator('[data-action="reject"]').click({ timeout: 60000 });
  await expect(second.locator('.jp-AutomlAssistant-decision')).toContainText('Rejected', {
    timeout: 60000
  });

  const rows = live.locator('.jp-AutomlAssistant-trial');
  await expect(rows.nth(0)).toHaveClass(/jp-mod-complete/, { timeout: 120000 });
  await expect(rows.nth(0)).toContainText('user');
  await expect(rows.nth(0)).toContainText('n_neighbors=7');
  await expect(rows.nth(1)).toHaveClass(/jp-mod-rejected/);
  await expect(live.locator('.jp-AutomlAssistant-status')).toContainText('finished', {
    timeout: 60000
  });
  await page.screenshot({ path: `${SHOTS}/sidebar-review-edit.png` });
});

test('a dead LLM shows as a banner over the live view', async ({ page }) => {
  await page.notebook.createNew('dead-llm.ipynb');
  // Nothing listens on port 9 of the loopback: every connection is refused.
  await page.notebook.setCell(
    0,
    'code',
    'import os\nos.environ["ASSISTANT_LLM_BASE_URL"] = "http://127.0.0.1:9/v1"\n' +
      'from sklearn.datasets import load_iris\ndf = load_iris(as_frame=True).frame\ndf.shape'
  );
  await page.notebook.runCell(0, true);
  expect(await page.notebook.getCellTextOutput(0)).toEqual(['(150, 5)']);

  await page.locator('.jp-SideBar.jp-mod-right [data-id="automl-assistant-sidebar"]').click();
  const sidebar = page.locator('#automl-assistant-sidebar');
  const input = sidebar.locator('.jp-AutomlAssistant-input');
  await input.fill('/tune df target=target n_trials=8 model=knn');
  await input.press('Enter');

  const banner = sidebar.locator('.jp-AutomlAssistant-llmBanner');
  // The first LLM call is the warm start, after the five-trial statistical design.
  await expect(banner).toContainText('LLM unavailable from trial 5', { timeout: 180000 });
  await expect(banner).toContainText('the search runs statistically');
  await expect(banner).toHaveAttribute('data-state', 'unavailable');
  // Nothing is lost: the trials still run and finish.
  await expect(sidebar.locator('.jp-AutomlAssistant-status')).toContainText('finished', {
    timeout: 180000
  });
  await page.screenshot({ path: `${SHOTS}/sidebar-llm-unavailable.png` });
});

test('the notebook widget draws its best-so-far plot with Plotly', async ({ page }) => {
  await page.notebook.createNew('widget.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    'from assistant.store import Store\nfrom assistant.widget import SessionWidget\n' +
      'store = Store("sqlite:///:memory:")\n' +
      'spec = {"metric": "accuracy", "direction": "maximize"}\n' +
      'sid = store.create_session(name="demo", study_name="demo", spec=spec)\n' +
      'done = {"status": "complete"}\n' +
      // One line each: the editor indents what follows a colon.
      '_ = [store.append_event(sid, "trial_finished", {**done, "value": v}, trial_number=n)' +
      ' for n, v in enumerate([0.8, 0.9, 0.85])]\n' +
      'SessionWidget(store, sid)'
  );
  await page.notebook.runCell(0, true);
  // FigureWidget is an anywidget: its front end comes with the anywidget package.
  const plot = page.locator('.jp-OutputArea .js-plotly-plot');
  const traces = plot.locator('.scatterlayer .trace');
  await expect(traces.nth(0).locator('path.point')).toHaveCount(3, { timeout: 60000 });
  await expect(traces.nth(1).locator('path.js-line')).toHaveCount(1);
  await expect(plot.locator('.gtitle')).toHaveText('best accuracy so far');
  await page.screenshot({ path: `${SHOTS}/notebook-widget.png` });
});

// Last in this file: the first test counts the sessions in the store this run shares.
test('the chat completes slash commands, renders Markdown and links replies to Live', async ({
  page
}) => {
  await page.notebook.createNew('markdown.ipynb');
  await page.notebook.setCell(
    0,
    'code',
    'from sklearn.datasets import load_breast_cancer\n' +
      'df = load_breast_cancer(as_frame=True).frame.sample(120, random_state=2)'
  );
  await page.notebook.runCell(0, true);
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('automl-assistant:open');
  });
  const sidebar = page.locator('#automl-assistant-sidebar');
  const input = sidebar.locator('.jp-AutomlAssistant-input');
  const completer = sidebar.locator('.jp-AutomlAssistant-completer');
  const entries = completer.locator('.jp-AutomlAssistant-completion');

  // (a) A slash lists every command; a prefix narrows the list; the keyboard takes one.
  await input.click();
  await input.pressSequentially('/');
  await expect(completer).toBeVisible();
  await expect(entries).toHaveCount(12);
  await input.pressSequentially('re');
  await expect(entries).toHaveText([/^\/reject N/, /^\/resume \[ID\]/, /^\/replay ID/]);
  await page.screenshot({ path: `${SHOTS}/sidebar-chat-completion.png` });
  await input.press('ArrowDown');
  await input.press('ArrowDown');
  await input.press('ArrowDown');
  await expect(entries.nth(2)).toHaveClass(/jp-mod-active/);
  await input.press('Enter');
  await expect(input).toHaveValue('/replay ');
  await expect(completer).toBeHidden();
  await input.fill('');
  await input.pressSequentially('/st');
  await expect(entries).toHaveCount(2);
  await input.press('Tab');
  await expect(input).toHaveValue('/status ');
  await expect(input).toBeFocused();
  await input.fill('');
  await input.pressSequentially('/');
  await expect(completer).toBeVisible();
  await input.press('Escape');
  await expect(completer).toBeHidden();
  await expect(input).toHaveValue('/');

  // (b) /help, typed whole, is sent (Enter takes a completion only once one is picked); the
  // reply is rendered Markdown: its commands are code.
  await input.fill('/help');
  await input.press('Enter');
  const help = sidebar.locator('.jp-AutomlAssistant-message.jp-mod-assistant').last();
  // The first message loads assistant.chat.comm in the kernel: allow for a slow import.
  await expect(help).toContainText('/replay ID', { timeout: 60000 });
  const rendered = help.locator('.jp-AutomlAssistant-text.jp-RenderedMarkdown');
  await expect(rendered.locator('code', { hasText: /^\/tune$/ })).toHaveCount(1);
  expect(await rendered.locator('code').count()).toBeGreaterThanOrEqual(12);
  expect(await rendered.locator('br').count()).toBeGreaterThanOrEqual(10);
  await page.screenshot({ path: `${SHOTS}/sidebar-chat-markdown.png` });

  // HTML in a reply goes through JupyterLab's sanitizer: markup stays, scripts do not.
  await input.fill('/<script>window.automlInjected=1</script><b>bold</b>');
  await input.press('Enter');
  const unknown = sidebar.locator('.jp-AutomlAssistant-message.jp-mod-error').last();
  await expect(unknown).toContainText('Unknown command');
  await expect(unknown.locator('.jp-RenderedMarkdown b')).toHaveText('bold');
  await expect(unknown.locator('script')).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).automlInjected)).toBeUndefined();
  // The person's own message is text, as typed.
  await expect(sidebar.locator('.jp-AutomlAssistant-message.jp-mod-user').last()).toHaveText(
    '/<script>window.automlInjected=1</script><b>bold</b>'
  );

  // (c) A finished session: /status and /best about it link to Live.
  await input.fill('/tune df target=target llm=off n_trials=3 model=random_forest');
  await input.press('Enter');
  const liveTab = sidebar.locator('.jp-AutomlAssistant-tab[data-tab="live"]');
  await expect(liveTab).toHaveClass(/jp-mod-active/, { timeout: 60000 });
  const trials = sidebar.locator(
    '.jp-AutomlAssistant-page[data-page="live"] .jp-AutomlAssistant-trial.jp-mod-complete'
  );
  await expect(trials).toHaveCount(3, { timeout: 180000 });
  await expect(sidebar.locator('.jp-AutomlAssistant-status')).toContainText('finished', {
    timeout: 60000
  });

  const chatTab = sidebar.locator('.jp-AutomlAssistant-tab[data-tab="chat"]');
  await chatTab.click();
  await input.fill('/best');
  await input.press('Enter');
  const best = sidebar.locator('.jp-AutomlAssistant-message.jp-mod-assistant').last();
  await expect(best).toContainText('Best so far: trial', { timeout: 30000 });
  // The cell it offers to insert is shown as a Python block.
  await expect(best.locator('.jp-RenderedMarkdown pre code')).toContainText('best_config =');
  await expect(best.locator('.jp-AutomlAssistant-insert')).toBeVisible();
  await expect(best.locator('.jp-AutomlAssistant-liveLink')).toBeVisible();

  await input.fill('/status');
  await input.press('Enter');
  // /status follows its session in Live by itself; its reply keeps the way back there.
  await expect(liveTab).toHaveClass(/jp-mod-active/, { timeout: 30000 });
  await chatTab.click();
  const status = sidebar.locator('.jp-AutomlAssistant-message.jp-mod-assistant').last();
  await expect(status).toContainText('finished, 3 of 3 trials finished');
  const link = status.locator('.jp-AutomlAssistant-liveLink');
  await expect(link).toHaveText('Open Live');
  await page.screenshot({ path: `${SHOTS}/sidebar-chat-livelink.png` });
  await link.click();
  await expect(liveTab).toHaveClass(/jp-mod-active/);
  await expect(sidebar.locator('.jp-AutomlAssistant-page[data-page="live"]')).toBeVisible();
  await expect(trials).toHaveCount(3);
  await expect(sidebar.locator('.jp-AutomlAssistant-page[data-page="chat"]')).toBeHidden();

  // The link on /best's reply, with Live left for Chat, shows the same session again.
  await chatTab.click();
  await best.locator('.jp-AutomlAssistant-liveLink').click();
  await expect(liveTab).toHaveClass(/jp-mod-active/);
  await expect(trials).toHaveCount(3);
});

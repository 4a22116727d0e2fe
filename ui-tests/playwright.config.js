/**
 * Galata's Playwright configuration, pointed at Debian's Chromium (no browser download)
 * and at a JupyterLab started from jupyter_server_test_config.py.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.UI_TESTS_PORT || '8988';

module.exports = {
  ...baseConfig,
  timeout: 240000,
  retries: 0,
  // A loaded 2-core CI machine can be slow to render; no test relies on a short wait.
  expect: { timeout: 15000 },
  workers: 1,
  reporter: [['list']],
  outputDir: '../test-artifacts/ui-tests/results',
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    viewport: { width: 1400, height: 1000 },
    video: 'off',
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: 'jupyter lab --allow-root --config jupyter_server_test_config.py',
    url: `http://localhost:${port}/lab`,
    timeout: 120000,
    reuseExistingServer: false,
    env: { ...process.env, UI_TESTS_PORT: port }
  }
};

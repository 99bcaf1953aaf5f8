// The web app in a real browser: headless Chromium (Debian's, driven by playwright-core)
// against a `montecell` server this test starts on a free port with its own data folder.
//
//   npm ci && node --test app.test.mjs        (or .ci/browser-test from the checkout)
//
// Environment: BROWSER_TEST_BIN (the montecell binary; default <target>/release/montecell with
// <target> = $CARGO_TARGET_DIR or ./target), CHROMIUM (default /usr/bin/chromium),
// BROWSER_ARTIFACTS (screenshots and logs; default target/browser-artifacts).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { xlsx } from './xlsx.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const targetDir = path.resolve(root, process.env.CARGO_TARGET_DIR || 'target');
const bin = process.env.BROWSER_TEST_BIN || path.join(targetDir, 'release', 'montecell');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const artifacts = path.resolve(root, process.env.BROWSER_ARTIFACTS || 'target/browser-artifacts');
const npvXlsx = path.join(root, 'examples', 'npv.xlsx');

let server;
let base;
let dataDir;
let browser;
let serverLog;

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

async function api(pathname, init) {
  const res = await fetch(`${base}${pathname}`, init);
  if (!res.ok) throw new Error(`${init?.method || 'GET'} ${pathname}: ${res.status} ${await res.text()}`);
  return res;
}

before(async () => {
  assert.ok(existsSync(bin), `no montecell binary at ${bin}: run cargo build --release (or set BROWSER_TEST_BIN)`);
  assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM)`);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  dataDir = mkdtempSync(path.join(tmpdir(), 'montecell-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  serverLog = createWriteStream(path.join(artifacts, 'server.log'));
  server = spawn(bin, [], {
    cwd: dataDir,
    env: {
      ...process.env,
      MONTECELL_BIND: `127.0.0.1:${port}`,
      MONTECELL_DATA_DIR: path.join(dataDir, 'data'),
      MONTECELL_PROGRESS_INTERVAL_MS: '100',
      MONTECELL_POLL_INTERVAL_MS: '50',
      MONTECELL_LOG: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.pipe(serverLog);
  server.stderr.pipe(serverLog);
  let exited = null;
  server.once('exit', (code, signal) => { exited = `exited with ${code ?? signal}`; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    assert.equal(exited, null, `montecell ${exited}; see ${path.join(artifacts, 'server.log')}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    assert.ok(Date.now() < deadline, 'montecell did not answer /healthz within 60 s');
    await sleep(100);
  }
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: [
      // Root in CI; and no background connections on a machine whose network is closed.
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ] });
});

after(async () => {
  await browser?.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await Promise.race([new Promise((r) => { server.once('exit', r); }), sleep(10_000)]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  serverLog?.end();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh laptop-sized page that fails the test on script errors and outside requests. */
async function newPage(t) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-US', acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A 401 that the app answers with the key dialog is expected where a test asks for it.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:')) problems.push(`outside request: ${url}`);
  });
  page.setDefaultTimeout(20_000);
  const shot = async (name, full = false) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: full });
  t.after(async () => {
    await context.close();
  });
  return { context, page, problems, shot };
}

/** Runs `body`, saving a screenshot named after the test when it fails. */
async function withFailureShot(page, name, body) {
  try {
    await body();
  } catch (e) {
    await page.screenshot({ path: path.join(artifacts, `FAILED-${name}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
}

const activeCell = (page) => page.locator('#grid-host [role="gridcell"].active');

async function waitForCellText(page, cell) {
  const loc = page.locator(`#grid-host [data-cell="${cell}"]`);
  await loc.waitFor();
  await page.waitForFunction((c) => document.querySelector(`#grid-host [data-cell="${c}"]`)?.textContent !== '', cell);
  return loc;
}

/** The number at the start of a shown text: `−266,163.45 (number)` → -266163.45. */
const parseShown = (text) => {
  const m = /^[−-]?[\d,.]+(?:e[+-]?\d+)?/i.exec(text.trim());
  return m ? Number(m[0].replace(/,/g, '').replace('−', '-')) : NaN;
};

let modelId;
let simId;

test('upload the NPV model, mark an input and an output on the grid, run, read the histogram', { timeout: 180_000 }, async (t) => {
  const { page, problems, shot } = await newPage(t);
  await withFailureShot(page, 'walkthrough', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Upload a workbook' }).waitFor();

    // Every form control has an accessible name.
    const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((e) => !e.closest('[hidden]') && e.type !== 'hidden')
      .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.textContent.trim()))
      .map((e) => e.id || e.outerHTML.slice(0, 60)));
    assert.deepEqual(unlabeled, [], 'controls without a label');
    await shot('01-start');

    // Upload with the file picker.
    await page.setInputFiles('#file-input', npvXlsx);
    await page.locator('#model-name').getByText('npv.xlsx').waitFor();
    assert.match(await page.locator('#model-facts').textContent(), /2 sheets/);
    modelId = decodeURIComponent(new URL(page.url()).hash.split('/')[2] || '');
    assert.ok(modelId, `the model id is in the address: ${page.url()}`);
    const model = await (await api(`/v1/models/${modelId}`)).json();
    assert.equal(model.filename, 'npv.xlsx');

    // The grid shows the first sheet; the cells are the API's.
    assert.equal(await page.locator('#sheet-tabs [aria-selected="true"]').textContent(), 'Inputs');
    const cells = await (await api(`/v1/models/${modelId}/sheets/Inputs/cells?range=A1:C12`)).json();
    const a3 = cells.cells.find((c) => c.cell === 'A3');
    const b3 = cells.cells.find((c) => c.cell === 'B3');
    assert.equal(typeof a3.value, 'string');
    assert.equal(b3.type, 'number');
    assert.equal(await (await waitForCellText(page, 'A3')).textContent(), a3.value);

    // Click A3, then move right with the keyboard: the inspector follows.
    await page.locator('#grid-host [data-cell="A3"]').click();
    await page.locator('#cell-title').getByText('Inputs!A3').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.locator('#cell-title').getByText('Inputs!B3').waitFor();
    assert.equal(await activeCell(page).getAttribute('data-cell'), 'B3');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.cell), 'B3', 'the active cell has the focus');
    assert.equal(parseShown(await page.locator('#cell-value').textContent()), b3.value);

    // Mark B3 as a triangular input; its name comes from the label beside it.
    await page.getByRole('button', { name: 'Make input…' }).click();
    assert.equal(await page.locator('#input-name').inputValue(), a3.value.replace(/:$/, ''));
    await page.locator('#input-type').selectOption('triangular');
    await page.locator('#param-min').fill('8000');
    await page.locator('#param-mode').fill('12000');
    await page.locator('#param-max').fill('15000');
    await page.locator('#input-preview svg path.density').waitFor();
    await shot('02-input-form');
    await page.getByRole('button', { name: 'Add input' }).click();
    await page.locator('#grid-host [data-cell="B3"].is-input').waitFor();
    assert.equal(await page.locator('#inputs-body tr').first().locator('td').first().textContent(), a3.value.replace(/:$/, ''));

    // A second input with the keyboard only: two rows down, Enter, Enter, fill, Enter.
    await page.locator('#grid-host [data-cell="B3"]').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.locator('#cell-title').getByText('Inputs!B5').waitFor();
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'make-input');
    await page.keyboard.press('Enter');
    await page.locator('#input-form').waitFor();
    await page.locator('#input-name').fill('Price');
    await page.locator('#input-type').selectOption('normal');
    await page.locator('#param-mean').fill('45');
    await page.locator('#param-std').fill('2');
    await page.locator('#param-std').press('Enter');
    await page.locator('#grid-host [data-cell="B5"].is-input').waitFor();

    // The output: the Model sheet's NPV, found with "Go to cell".
    await page.getByRole('tab', { name: 'Model' }).click();
    await page.locator('#goto').fill('B14');
    await page.locator('#goto').press('Enter');
    await page.locator('#cell-title').getByText('Model!B14').waitFor();
    await page.getByRole('button', { name: 'Make output…' }).click();
    await page.locator('#output-name').fill('NPV');
    await page.locator('#output-targets').fill('0');
    await page.getByRole('button', { name: 'Add output' }).click();
    await page.locator('#grid-host [data-cell="B14"].is-output').waitFor();

    // Settings and a correlation between the two inputs.
    await page.getByRole('button', { name: 'Add a correlation' }).click();
    await page.locator('#corr-0-rank').fill('-0.5');
    await page.locator('#iterations').fill('20000');
    await page.locator('#seed').fill('7');
    await page.locator('#sampling').selectOption('mc');
    await shot('03-setup');

    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.waitForURL(/#\/results\//);
    simId = new URL(page.url()).hash.split('/')[2];
    await page.locator('#histogram svg rect.bar').first().waitFor({ timeout: 120_000 });
    await page.locator('#cert-source[data-exact="true"]').waitFor();
    await shot('04-results', true);

    // The numbers on the page are the API's.
    const sim = await (await api(`/v1/simulations/${simId}`)).json();
    assert.equal(sim.status, 'succeeded');
    const spec = sim.spec;
    assert.deepEqual(spec.inputs[0].distribution, { type: 'triangular', min: 8000, mode: 12000, max: 15000 });
    assert.equal(spec.inputs[0].cell, 'Inputs!B3');
    assert.deepEqual(spec.inputs[1].distribution, { type: 'normal', mean: 45, std: 2 });
    assert.deepEqual(spec.outputs, [{ cell: 'Model!B14', name: 'NPV', targets: [0] }]);
    assert.equal(spec.iterations, 20000);
    assert.equal(spec.seed, 7);
    assert.equal(spec.sampling, 'mc');
    assert.equal(spec.correlations.length, 1);
    const npv = sim.results.outputs[0];
    assert.equal(npv.name, 'NPV');
    for (const stat of ['mean', 'std', 'min', 'max']) {
      const td = page.locator(`#stats-body tr[data-stat="${stat}"] td`);
      assert.equal(Number(await td.getAttribute('data-value')), npv[stat], stat);
      const shown = parseShown(await td.textContent());
      assert.ok(Math.abs(shown - npv[stat]) <= Math.abs(npv[stat]) * 1e-5 + 0.01, `${stat}: shown ${shown}, API ${npv[stat]}`);
    }
    for (const p of [5, 50, 95]) {
      const want = npv.percentiles.find((x) => x.p === p).value;
      const td = page.locator(`#pct-body tr[data-p="${p}"] td`);
      assert.equal(Number(await td.getAttribute('data-value')), want, `P${p}`);
      const shown = parseShown(await td.textContent());
      assert.ok(Math.abs(shown - want) <= Math.abs(want) * 1e-5 + 0.01, `P${p}: shown ${shown}, API ${want}`);
    }
    assert.equal(await page.locator('#histogram svg rect.bar').count(), npv.histogram.counts.length);
    assert.equal(await page.locator('#tornado svg rect.bar').count(), Math.min(12, npv.sensitivity.length));
    assert.match(await page.locator('#risk-body').textContent(), /P\(NPV ≤ 0\)/);

    // Certainty: P(0 ≤ NPV ≤ 1e12) from the page equals the share of the API's samples.
    await page.locator('#cert-a').fill('0');
    await page.locator('#cert-b').fill('1000000000000');
    await page.waitForFunction(() => {
      const d = document.querySelector('#cert-result')?.dataset;
      return d?.a === '0' && d?.b === '1000000000000';
    });
    const csv = await (await api(`/v1/simulations/${simId}/samples?output=NPV`)).text();
    const values = csv.trim().split('\n').slice(1).map((l) => l.split(',')[1]).filter((v) => v !== '').map(Number);
    const share = values.filter((v) => v >= 0 && v <= 1e12).length / values.length;
    const p = Number(await page.locator('#cert-result').getAttribute('data-p'));
    assert.ok(Math.abs(p - share) < 1e-12, `certainty ${p} vs samples ${share}`);
    assert.ok(Math.abs(p - npv.targets[0].p_ge) < 1e-9, `certainty ${p} vs P(NPV ≥ 0) ${npv.targets[0].p_ge}`);
    // The sliders work from the keyboard: the whole range holds every numeric iteration.
    await page.locator('#cert-a-range').focus();
    await page.keyboard.press('Home');
    await page.locator('#cert-b-range').focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.querySelector('#cert-result')?.dataset.p === '1');
    await page.locator('#cert-a').fill('-200000');
    await page.locator('#cert-b').fill('200000');
    await page.waitForFunction(() => document.querySelector('#cert-result')?.dataset.b === '200000');
    const within = values.filter((v) => v >= -200000 && v <= 200000).length / values.length;
    assert.ok(Math.abs(Number(await page.locator('#cert-result').getAttribute('data-p')) - within) < 1e-12);
    await shot('05-certainty');

    // Downloads.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Samples of this output (CSV)' }).click()]);
    const csvPath = path.join(artifacts, 'samples.csv');
    await csvDownload.saveAs(csvPath);
    const saved = readFileSync(csvPath, 'utf8');
    assert.ok(saved.startsWith('iteration,"NPV"\n'), saved.slice(0, 40));
    assert.equal(saved.trim().split('\n').length, 20001);
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Results (JSON)' }).click()]);
    const jsonPath = path.join(artifacts, 'results.json');
    await jsonDownload.saveAs(jsonPath);
    assert.equal(JSON.parse(readFileSync(jsonPath, 'utf8')).results.outputs[0].mean, npv.mean);

    // History lists it.
    await page.getByRole('link', { name: 'History' }).click();
    await page.locator(`#history-body tr[data-id="${simId}"]`).getByText('succeeded').waitFor();
    assert.match(await page.locator(`#history-body tr[data-id="${simId}"]`).textContent(), /npv\.xlsx/);
    await shot('06-history');
    assert.deepEqual(problems, []);
  });
});

test('live progress, then cancel', { timeout: 180_000 }, async (t) => {
  assert.ok(modelId, 'runs after the walk-through');
  const { page, problems, shot } = await newPage(t);
  await withFailureShot(page, 'cancel', async () => {
    // The draft (inputs, outputs) was kept in this browser… but this is a fresh context: set it
    // up again through the page with the simulation's "edit and run again".
    await page.goto(`${base}/#/results/${simId}`);
    await page.locator('#histogram svg rect.bar').first().waitFor();
    await page.getByRole('button', { name: 'Edit the setup and run again' }).click();
    await page.waitForURL(/#\/model\//);
    await page.locator('#grid-host [data-cell="B3"].is-input').waitFor();
    assert.equal(await page.locator('#inputs-body tr').count(), 2);
    assert.equal(await page.locator('#seed').inputValue(), '7');
    await page.locator('#iterations').fill('10000000');
    await page.getByRole('button', { name: 'Run simulation' }).click();
    await page.waitForURL(/#\/results\//);
    const id = new URL(page.url()).hash.split('/')[2];
    await page.waitForFunction(() => Number(document.querySelector('#run-progress')?.value) > 0, null, { timeout: 60_000 });
    assert.match(await page.locator('#run-status').textContent(), /of 10,000,000 iterations/);
    await shot('07-running');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#failure-title').getByText('canceled').waitFor({ timeout: 60_000 });
    const sim = await (await api(`/v1/simulations/${id}`)).json();
    assert.equal(sim.status, 'canceled');
    assert.ok(sim.progress.iterations_done < 10_000_000);
    await shot('08-canceled');
    assert.deepEqual(problems, []);
  });
});

test('a 10,000-row sheet stays fast: only what is in view is in the page', { timeout: 120_000 }, async (t) => {
  const rows = [['Item', 'Amount', 'Double']];
  for (let i = 1; i <= 10_000; i += 1) rows.push([`item ${i}`, i, { f: `B${i + 1}*2`, v: i * 2 }]);
  const file = path.join(artifacts, 'large.xlsx');
  writeFileSync(file, xlsx('Big', rows));
  const { page, problems, shot } = await newPage(t);
  await withFailureShot(page, 'large', async () => {
    await page.goto(`${base}/`);
    const started = Date.now();
    await page.setInputFiles('#file-input', file);
    await waitForCellText(page, 'A1');
    const firstPaint = Date.now() - started;
    await page.locator('#grid-host [data-cell="A1"]').click();
    const jump = Date.now();
    await page.keyboard.press('Control+End');
    await page.locator('#cell-title').getByText('Big!').waitFor();
    // The last used row is 10,001; the grid has a few empty rows and columns beyond.
    await page.locator('#goto').fill('C10001');
    await page.locator('#goto').press('Enter');
    await waitForCellText(page, 'C10001');
    const jumpMs = Date.now() - jump;
    assert.equal(await page.locator('#grid-host [data-cell="C10001"]').textContent(), '20,000');
    await page.locator('#cell-formula').getByText('=B10001*2').waitFor();
    const inDom = await page.locator('#grid-host [role="gridcell"]').count();
    assert.ok(inDom < 1500, `${inDom} cells in the page`);
    // Scrolling through the middle fetches only the blocks in view.
    const scroll = Date.now();
    await page.locator('#grid-host .grid').evaluate((g) => {
      g.scrollLeft = 0;
      g.scrollTop = g.scrollHeight / 2;
    });
    await page.waitForFunction(() => [...document.querySelectorAll('#grid-host [data-cell^="A"]')].some((c) => /^item 5\d{3}$/.test(c.textContent)));
    const scrollMs = Date.now() - scroll;
    await shot('09-large-sheet');
    writeFileSync(path.join(artifacts, 'large-sheet-timings.json'), JSON.stringify({ firstPaint, jumpMs, scrollMs, inDom }, null, 2));
    assert.ok(jumpMs < 5000 && scrollMs < 5000, `jump ${jumpMs} ms, scroll ${scrollMs} ms`);
    assert.deepEqual(problems, []);
  });
});

test('drag and drop upload', { timeout: 60_000 }, async (t) => {
  const { page, problems } = await newPage(t);
  await withFailureShot(page, 'drop', async () => {
    await page.goto(`${base}/`);
    const bytes = readFileSync(npvXlsx).toString('base64');
    const transfer = await page.evaluateHandle((b64) => {
      const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bin], 'dropped.xlsx', { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }));
      return dt;
    }, bytes);
    await page.dispatchEvent('#dropzone', 'dragover', { dataTransfer: transfer });
    assert.ok(await page.locator('#dropzone.dragging').count(), 'the drop zone shows it will take the file');
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: transfer });
    await page.locator('#model-name').getByText('dropped.xlsx').waitFor();
    assert.deepEqual(problems, []);
  });
});

/** A second montecell that requires API keys, with a key made by `montecell keys create`. */
async function keyedServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'montecell-browser-keys-'));
  const port = await freePort();
  const env = {
    ...process.env,
    MONTECELL_BIND: `127.0.0.1:${port}`,
    MONTECELL_DATA_DIR: path.join(dir, 'data'),
    MONTECELL_REQUIRE_API_KEYS: 'true',
    MONTECELL_LOG: 'warn',
  };
  const key = await new Promise((resolve, reject) => {
    const p = spawn(bin, ['keys', 'create', '--tenant', 'browser', '--name', 'browser test'], { cwd: dir, env });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`keys create exited with ${code}`))));
  });
  assert.match(key, /^mc_[0-9A-Za-z]{46}$/);
  const proc = spawn(bin, [], { cwd: dir, env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    assert.ok(Date.now() < deadline, 'the keyed montecell did not answer /healthz within 60 s');
    await sleep(100);
  }
  const stop = async () => {
    proc.kill('SIGTERM');
    await Promise.race([new Promise((r) => { proc.once('exit', r); }), sleep(10_000)]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, key, stop };
}

test('a server that needs an API key: the page asks for one and sends it', { timeout: 90_000 }, async (t) => {
  const keyed = await keyedServer();
  t.after(keyed.stop);
  // The server refuses requests without the key; with it, the tenant has one model.
  assert.equal((await fetch(`${keyed.url}/v1/models`)).status, 401);
  const upload = await fetch(`${keyed.url}/v1/models?filename=npv.xlsx`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${keyed.key}` },
    body: readFileSync(path.join(root, 'examples', 'npv.xlsx')),
  });
  assert.equal(upload.status, 201);
  const { page, problems, shot } = await newPage(t);
  await withFailureShot(page, 'api-key', async () => {
    const seen = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/')) seen.push(r.headers().authorization || null);
    });
    await page.goto(`${keyed.url}/`);
    const dialog = page.locator('#key-dialog');
    await dialog.waitFor();
    assert.ok(await dialog.evaluate((d) => d.open));
    assert.match(await page.locator('#key-reason').textContent(), /API key/);
    await shot('10-api-key');
    await page.getByLabel('Key', { exact: true }).fill(keyed.key);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#recent-list li').first().waitFor();
    const firstKeyed = seen.findIndex((h) => h !== null);
    assert.ok(firstKeyed >= 1, `the first requests go without a key: ${seen}`);
    assert.ok(seen.slice(firstKeyed).every((h) => h === `Bearer ${keyed.key}`), `later requests carry the key: ${seen}`);
    assert.equal(await page.evaluate(() => localStorage.getItem('montecell.apiKey')), keyed.key);
    assert.equal(await page.locator('#key-button').textContent(), 'API key ✓');
    // Every later request carries it.
    const [req] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/v1/simulations')),
      page.getByRole('link', { name: 'History' }).click(),
    ]);
    assert.equal(req.headers().authorization, `Bearer ${keyed.key}`);
    // This page talks to the second server: its requests are not "outside"; anything else is.
    assert.deepEqual(problems.filter((p) => !p.startsWith(`outside request: ${keyed.url}/`)), []);
  });
});

test('the server answers the page, its assets and unknown paths as it should', async () => {
  const index = await fetch(`${base}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.match(index.headers.get('content-security-policy'), /default-src 'self'/);
  const etag = index.headers.get('etag');
  assert.ok(etag);
  assert.equal((await fetch(`${base}/`, { headers: { 'If-None-Match': etag } })).status, 304);
  const js = await fetch(`${base}/assets/app.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.equal(js.headers.get('cache-control'), 'no-cache');
  const css = await fetch(`${base}/assets/style.css`);
  assert.match(css.headers.get('content-type'), /^text\/css/);
  const missing = await fetch(`${base}/assets/nope.js`);
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get('content-type'), /problem\+json/);
  const unknown = await fetch(`${base}/v1/nothing-here`);
  assert.equal(unknown.status, 404);
  assert.match(unknown.headers.get('content-type'), /problem\+json/);
});

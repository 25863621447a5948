// Shared pieces of the end-to-end tests: a static server for dist/ and Debian's Chromium.
import { createServer } from 'node:http';
import { readFile, stat, mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const DIST = join(ROOT, 'dist');
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
export const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.gz': 'application/gzip',
};

/** Serves `root` (dist/ unless told) on a free loopback port; resolves to { url, close }. */
export async function serveDist(root = DIST) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(root, path);
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Headless Debian Chromium with WebGPU allowed, in a fresh profile (`args`: more switches). */
export async function launch(args = []) {
  const profile = await mkdtemp(join(tmpdir(), 'atelier-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    ignoreDefaultArgs: ['--disable-gpu'],
    viewport: { width: 1400, height: 1000 },
    args: [
      '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...args,
    ],
  });
  // Each profile holds the dataset, the app and saved models (~150 MB): never leave it behind.
  context.on('close', () => rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch(() => {}));
  return context;
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Adds figures to tests/artifacts/measurements.json (read by the closing notes and README). */
export async function record(key, value) {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'measurements.json');
  let all = {};
  try { all = JSON.parse(await readFile(file, 'utf8')); } catch { /* first entry */ }
  all[key] = value;
  await writeFile(file, JSON.stringify(all, null, 2));
}

/** Milliseconds from navigation to a `performance.mark` the app sets, or null. */
export function markTime(page, name) {
  return page.evaluate((n) => performance.getEntriesByName(n)[0]?.startTime ?? null, name);
}

export const status = (page) => page.getByTestId('data-status');

/** A number attribute (`data-value` by default) of the element with that test id. */
export const value = async (page, id, attribute = 'data-value') => Number(await page.getByTestId(id).getAttribute(attribute));
/** Training steps reported so far in the current run. */
export const steps = async (page) => Number(await page.getByTestId('train-state').getAttribute('data-step'));

/** Polls `predicate` every 250 ms; fails naming `what` after `timeout` ms. */
export async function waitFor(page, predicate, timeout, what) {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    if (await predicate()) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
}

/** Opens the app with `query`, waits for the data and the engine; returns the page. */
export async function openReady(context, url, query = '') {
  const page = await context.newPage();
  await page.goto(`${url}${query}`);
  await status(page).and(page.locator('[data-state="ready"]')).waitFor({ timeout: 120_000 });
  const badge = page.getByTestId('backend');
  await waitFor(page, async () => (await badge.getAttribute('data-value')) !== '', 120_000, 'the engine to start');
  return page;
}

/** A stroke with real pointer events, in canvas fractions. */
export async function stroke(page, points) {
  // Mouse events land in the viewport: a canvas scrolled out of it (after a click further down
  // the page) would get none.
  await page.getByTestId('draw-canvas').scrollIntoViewIfNeeded();
  const box = await page.getByTestId('draw-canvas').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

/** A stroke about every 300 ms for `ms` across the drawing, as a user doodling while a run
 * trains: the run's step one second in, and after the last stroke. */
export async function strokeFor(page, ms = 4_000) {
  const began = Date.now();
  let afterOneSecond;
  for (let i = 0; Date.now() - began < ms; i++) {
    const x = 0.2 + (i % 5) * 0.15;
    await stroke(page, [[x, 0.3], [x + 0.05, 0.7]]);
    if (afterOneSecond === undefined && Date.now() - began >= 1_000) afterOneSecond = await steps(page);
    await page.waitForTimeout(150);
  }
  return { afterOneSecond, atLastStroke: await steps(page) };
}

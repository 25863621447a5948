// Measures Atelier in headless Chromium, checks the figures against the targets of issue #7,
// prints Markdown tables and writes tests/artifacts/bench.json.
//
//   trunk build --release && node tests/bench/run.mjs [options]
//
//   --quick         smoke run (a few minutes): Dense only, short windows, fewer samples
//   --full-epoch    also train one whole epoch (55,000 images) of the Atelier CNN on WebGPU
//                   (about an hour on SwiftShader); by default a 1,000-image slice is measured
//                   and the epoch extrapolated, labelled as such
//   --only cpu|webgpu           one backend
//   --sections a,b,...          any of bundle,load,latency,inference,training,memory,epoch,native
//                               (default: all but native)
//   --native        also run `cargo bench --features engine --bench engine` and fold criterion's
//                   figures into the report (same as adding `native` to --sections)
//   --report FILE   print the tables and verdicts of a saved bench*.json again (measures nothing)
//
// The app is copied out of dist/ first, so a rebuild during the run cannot mix two versions.
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile, mkdir, readdir, stat, cp, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { tmpdir, cpus, totalmem, loadavg, release } from 'node:os';
import { gzipSync } from 'node:zlib';
import { launch, ARTIFACTS, DIST, ROOT } from '../e2e/harness.mjs';

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : null);
const QUICK = flag('--quick');
const FULL_EPOCH = flag('--full-epoch');
const ONLY = option('--only');
if (ONLY && !['cpu', 'webgpu'].includes(ONLY)) throw new Error('--only takes cpu or webgpu');
const ALL_SECTIONS = ['bundle', 'load', 'latency', 'inference', 'training', 'memory', 'epoch', 'native'];
const SECTIONS = new Set(option('--sections')?.split(',') ?? ALL_SECTIONS.filter((s) => s !== 'native'));
if (flag('--native')) SECTIONS.add('native');
for (const s of SECTIONS) if (!ALL_SECTIONS.includes(s)) throw new Error(`unknown section ${s}`);
const BACKENDS = ['webgpu', 'cpu'].filter((b) => !ONLY || b === ONLY);
const MODELS = QUICK ? ['dense'] : ['dense', 'baseline-cnn', 'atelier-cnn'];
const MODEL_NAMES = { dense: 'Dense 128', 'baseline-cnn': 'Baseline CNN', 'atelier-cnn': 'Atelier CNN' };
const READBACKS = [1, 10];
const BATCH = 64;
// Throughput is measured between these reported steps (multiples of 10, which `?readback=10`
// reports too), after the first steps' shader compilation and allocation.
const WARM_STEP = 10;
const END_STEP = QUICK ? 20 : 30;
// …and over at least this long (the CPU trains Dense at ~80 steps/s).
const MIN_WINDOW_MS = QUICK ? 3_000 : 10_000;
const LOAD_SAMPLES = QUICK ? 1 : 3;
const LATENCY_SAMPLES = QUICK ? 8 : 25;
const MEMORY_MODEL = QUICK ? 'dense' : 'baseline-cnn';
const MEMORY_EPOCHS = 3;
const SLICE_IMAGES = 1000; // the page's smallest subset: 16 steps of 64
const FULL_IMAGES = 55_000; // 60,000 minus 5,000 validation
const EVAL_IMAGES = 15_000; // what every epoch evaluates: 5,000 validation + 10,000 test
const MINUTE = 60_000;

const TARGETS = {
  readbackCost: 20, // % of throughput lost by reading the loss every step (WebGPU)
  longTaskMs: 50, // no main-thread task longer, while training
  latencyMedianMs: 10, // single-image classification, WebGPU
  galleryCachedMs: 1000, // navigation → first gallery image, data cached
  memoryGrowth: 5, // % from epoch 1 to epoch 3
  uiWasmGzipBytes: 1_000_000,
};

// ---------------------------------------------------------------------------------------------
// Helpers

const load = () => loadavg().map((l) => +l.toFixed(2));
const round = (x, digits = 1) => (x == null || !Number.isFinite(x) ? null : +x.toFixed(digits));
const median = (xs) => percentile(xs, 0.5);
function percentile(values, q) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const log = (...parts) => console.error(`[bench ${new Date().toISOString().slice(11, 19)} load ${load()[0]}]`, ...parts);

/** Copies dist/ to a temporary folder; retries if a rebuild changed it meanwhile. */
async function snapshotDist() {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/ is missing: run `trunk build --release` first');
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'atelier-bench-dist-'));
    await cp(DIST, dir, { recursive: true });
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    const named = [...html.matchAll(/(?:href|src|module_or_path:)\s*=?\s*["']\/?([^"']+\.(?:js|wasm|css))["']/g)].map((m) => m[1]);
    if (named.length && named.every((f) => existsSync(join(dir, f)))) return dir;
    await rm(dir, { recursive: true, force: true });
    log('dist/ changed while copying it; trying again in 20 s');
    await new Promise((ok) => setTimeout(ok, 20_000));
  }
  throw new Error('dist/ keeps changing (a rebuild in progress?); rerun when it is done');
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.gz': 'application/gzip',
};

/** Serves `root` on a free loopback port, as tests/e2e/harness.mjs serves dist/. */
async function serve(root) {
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

/** Runs in every page before its scripts: long tasks, and the page clock of every change the
 * benchmark reads (engine ready, pre-trained model ready, steps reported, evaluations shown). */
function instrument() {
  const b = (window.__bench = { longTasks: [], steps: [], evals: [], backendAt: null, backend: null, pretrainedAt: null });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  // Long animation frames say which scripts ran (to tell a chart redraw from a GC or a message).
  b.frames = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        b.frames.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration,
          scripts: e.scripts.map((x) => ({ invoker: x.invoker, source: `${x.sourceFunctionName || ''} ${(x.sourceURL || '').split('/').pop()}`.trim(), ms: Math.round(x.duration) })) });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch { /* not supported */ }
  const check = () => {
    const now = performance.now();
    const badge = document.querySelector('[data-testid="backend"]');
    if (b.backendAt === null && badge?.dataset.value) { b.backendAt = now; b.backend = badge.dataset.value; }
    const select = document.querySelector('[data-testid="classify-model-select"]');
    if (b.pretrainedAt === null && select?.dataset.pretrained === 'ready') b.pretrainedAt = now;
    const state = document.querySelector('[data-testid="train-state"]');
    if (state) {
      const step = Number(state.dataset.step);
      const last = b.steps.at(-1);
      if (!last || last[1] !== step || last[2] !== state.dataset.state) b.steps.push([now, step, state.dataset.state]);
    }
    const evaluation = document.querySelector('[data-testid="evaluation"]');
    if (evaluation) {
      const key = `${evaluation.dataset.runId}:${evaluation.dataset.epoch}`;
      if (b.lastEval !== key) { b.lastEval = key; b.evals.push([now, Number(evaluation.dataset.runId), Number(evaluation.dataset.epoch)]); }
    }
  };
  const start = () => {
    new MutationObserver(check).observe(document.documentElement, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ['data-value', 'data-step', 'data-state', 'data-epoch', 'data-run-id', 'data-pretrained'],
    });
    check();
  };
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, { once: true });
}

// The harness deletes a profile when its context closes, without waiting for Chromium to finish
// writing it; the rm then fails (ENOTEMPTY) as an unhandled rejection. Finish the job instead of
// dying an hour into a run.
process.on('unhandledRejection', (e) => {
  const profile = typeof e?.path === 'string' && e.path.match(/^(.*\/atelier-chromium-[^/]+)/)?.[1];
  if (!profile || !['ENOTEMPTY', 'EBUSY', 'ENOENT'].includes(e.code)) throw e;
  setTimeout(() => rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 }).catch(() => {}), 2_000);
});

/** A fresh headless Chromium (tests/e2e/harness.mjs), retried: on this shared machine a launch
 * now and then fails to create its socket directory. */
async function browser() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch();
    } catch (e) {
      if (attempt === 3) throw e;
      log(`Chromium did not start (${e.message.split('\n')[0]}); again in 5 s`);
      await new Promise((ok) => setTimeout(ok, 5_000));
    }
  }
}

/** The browser and its WebGPU adapter, read from the first page opened. */
const machine = { browser: null, adapter: null };

async function open(context, url, query) {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.addInitScript(instrument);
  await page.goto(`${url}${query}`);
  if (!machine.browser) {
    machine.browser = (await page.evaluate(() => navigator.userAgent)).match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? '?';
    machine.adapter = await page.evaluate(async () => {
      const adapter = await navigator.gpu?.requestAdapter();
      return adapter ? { vendor: adapter.info.vendor, architecture: adapter.info.architecture, description: adapter.info.description } : null;
    });
  }
  return page;
}

const bench = (page) => page.evaluate(() => window.__bench);
const pageNow = (page) => page.evaluate(() => performance.now());

async function waitReady(page, pretrained = false) {
  await page.locator('[data-testid="data-status"][data-state="ready"]').waitFor({ timeout: 5 * MINUTE });
  await page.waitForFunction(() => window.__bench.backendAt !== null, null, { timeout: 10 * MINUTE, polling: 100 });
  if (pretrained) await page.waitForFunction(() => window.__bench.pretrainedAt !== null, null, { timeout: 5 * MINUTE, polling: 100 });
}

/** A deliberate 120 ms task must be seen, or the long-task figures mean nothing. */
async function calibrateLongTasks(page) {
  await page.evaluate(() => { const t = performance.now(); while (performance.now() - t < 120); });
  await page.waitForFunction(() => window.__bench.longTasks.some((t) => t.duration >= 100), null, { timeout: 5_000 });
}

/** Main-thread JS heap after a forced garbage collection (CDP), and how long that took. */
async function jsHeap(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const from = await pageNow(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return { bytes: usedSize, gcWindow: [from, await pageNow(page)] };
  } finally {
    await cdp.detach();
  }
}

const querySuffix = (backend, extra = {}) => {
  const params = new URLSearchParams({ ...(backend === 'cpu' ? { backend: 'cpu' } : {}), ...extra });
  const s = params.toString();
  return s ? `?${s}` : '';
};

async function configure(page, { model, subset, epochs }) {
  await page.getByTestId('model-select').selectOption(model);
  await page.getByTestId('subset-select').selectOption(String(subset));
  await page.getByTestId('batch-select').selectOption(String(BATCH));
  await page.getByTestId('epochs-select').selectOption(String(epochs));
}

/** Clicks Start; returns the page clock at the click, where this run's step records begin, and
 * the previous run's last step (shown until this run reports). */
async function start(page) {
  const { from, stale } = await page.evaluate(() => ({
    from: window.__bench.steps.length, stale: Number(document.querySelector('[data-testid="train-state"]').dataset.step) }));
  const clicked = await pageNow(page);
  await page.getByTestId('train-start').click();
  return { clicked, from, stale };
}

/** This run's step records `[pageMs, step, state]`, steps ≥ 1: the rising sequence after the
 * last drop. Before it the badge may show the previous run's step, and even (seen here) a
 * stopped run's last late step after the new run was cleared. (Inlined in `training`'s wait.) */
function runRecords(all, from) {
  const records = all.slice(from).filter((r) => r[1] > 0);
  let begin = 0;
  for (let i = 1; i < records.length; i++) if (records[i][1] < records[i - 1][1]) begin = i;
  return records.slice(begin);
}

async function stopAndSettle(page) {
  if (['running', 'paused'].includes(await page.getByTestId('train-state').getAttribute('data-state'))) {
    await page.getByTestId('train-stop').click();
  }
  await page.waitForFunction(() => !['running', 'paused'].includes(document.querySelector('[data-testid="train-state"]').dataset.state),
    null, { timeout: 5 * MINUTE, polling: 100 });
  // The worker announces "done" before its last step reports arrive: let them land first, or
  // they would show up at the start of the next run.
  await page.waitForFunction(() => performance.now() - (window.__bench.steps.at(-1)?.[0] ?? 0) > 1500, null, { timeout: MINUTE, polling: 250 });
}

const untilStep = (page, n, timeout) => page.waitForFunction((n) => {
  const s = document.querySelector('[data-testid="train-state"]');
  return Number(s.dataset.step) >= n || s.dataset.state === 'error';
}, n, { timeout, polling: 200 });

const firstAt = (records, step) => records.find((r) => r[1] >= step);

/** Long tasks between `from` and `to` (page clock), each with the scripts of the long animation
 * frames it overlaps: `app` if one is Atelier's, `harness` if the only scripts are the
 * benchmark's own (Playwright's polling: a timer without a source), else `unattributed`
 * (style, layout, paint, GC, or the main thread waiting for a CPU the other processes hold). */
function longTasksIn(b, from, to, exclude = []) {
  return b.longTasks
    .filter((t) => t.start >= from && t.start <= to && !exclude.some(([a, z]) => t.start + t.duration >= a && t.start <= z))
    .map((t) => {
      const scripts = b.frames.filter((f) => f.start <= t.start + t.duration && f.start + f.duration >= t.start).flatMap((f) => f.scripts);
      const kind = scripts.some((x) => x.source.includes('atelier')) ? 'app' : scripts.length && scripts.every((x) => !x.source) ? 'harness' : 'unattributed';
      return { start: round(t.start), duration: t.duration, kind, scripts };
    });
}
const counted = (tasks) => tasks.filter((t) => t.kind !== 'harness');
const longest = (tasks) => tasks.reduce((m, t) => Math.max(m, t.duration), 0);

function fail(page, what) {
  return page.evaluate(() => document.querySelector('[data-testid="train-state"]')?.textContent).then((text) => {
    throw new Error(`${what}: the run ended in an error: ${text}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Sections

/** Bytes the browser downloads: the page's bundle and the engine worker's, raw and gzip -9. */
async function bundle(dir) {
  const files = (await readdir(dir)).filter((f) => /\.(wasm|js|css|html)$/.test(f));
  const sizes = {};
  for (const f of files) {
    const body = await readFile(join(dir, f));
    sizes[f] = { raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
  }
  const pick = (test) => Object.entries(sizes).filter(([f]) => test(f));
  const sum = (entries) => entries.reduce((a, [, s]) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip }), { raw: 0, gzip: 0 });
  const uiWasm = pick((f) => /^atelier-ui.*\.wasm$/.test(f));
  return {
    files: sizes,
    uiWasm: sum(uiWasm),
    uiJs: sum(pick((f) => /^atelier-ui.*\.js$/.test(f))),
    page: sum(pick((f) => /^atelier-ui|\.css$|\.html$/.test(f))),
    engineWasm: sum(pick((f) => /^atelier-engine.*\.wasm$/.test(f))),
    engineJs: sum(pick((f) => /^atelier-engine.*\.js$/.test(f))),
    otherJs: sum(pick((f) => f.endsWith('.js') && !f.startsWith('atelier-'))),
  };
}

/** Navigation → first gallery image, → all data parsed, → engine ready, → pre-trained model
 * ready: cold (fresh profile) and cached (reload). Then single-image latency on that page. */
async function loadAndLatency(server, backend, samples, withLatency) {
  const result = { backend, cold: [], cached: [], latency: null, load: load() };
  for (let i = 0; i < samples; i++) {
    const context = await browser();
    try {
      const page = await open(context, server.url, querySuffix(backend));
      for (const kind of ['cold', 'cached']) {
        if (kind === 'cached') await page.reload();
        await waitReady(page, true);
        const figures = await page.evaluate(() => {
          const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
          const b = window.__bench;
          return { firstGalleryImageMs: mark('atelier:first-gallery-image'), dataReadyMs: mark('atelier:data-ready'),
            engineReadyMs: b.backendAt, backend: b.backend, pretrainedReadyMs: b.pretrainedAt };
        });
        const heap = await jsHeap(page);
        result[kind].push({ ...figures, jsHeapBytes: heap.bytes });
        log(`load ${backend} ${kind} #${i + 1}`, JSON.stringify(figures));
      }
      if (withLatency && i === samples - 1) result.latency = await latency(page, backend);
    } finally {
      await context.close();
    }
  }
  result.loadAfter = load();
  return result;
}

/** A stroke with real pointer events, in canvas fractions. */
async function stroke(page, points) {
  const box = await page.getByTestId('draw-canvas').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

/** Input → probabilities on the page (`data-latency-ms`), over small strokes, as
 * tests/e2e/classify.test.mjs measures it. */
async function latency(page, backend) {
  const prediction = page.getByTestId('prediction');
  const seq = async () => Number(await prediction.getAttribute('data-seq'));
  const next = async (after) => {
    await page.waitForFunction((after) => Number(document.querySelector('[data-testid="prediction"]')?.dataset.seq) > after,
      after, { timeout: 2 * MINUTE, polling: 20 });
    return { latency: Number(await prediction.getAttribute('data-latency-ms')), backend: await prediction.getAttribute('data-backend') };
  };
  await stroke(page, [[0.35, 0.15], [0.65, 0.15]]);
  await next(0);
  const samples = [];
  let answeredOn = null;
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const before = await seq();
    const x = 0.2 + (i % 5) * 0.15;
    await stroke(page, [[x, 0.9], [x + 0.02, 0.92]]);
    const answer = await next(before);
    answeredOn = answer.backend;
    samples.push(answer.latency);
    await page.waitForTimeout(50);
  }
  const figures = { medianMs: median(samples), p95Ms: percentile(samples, 0.95), samples, answeredOn };
  log(`latency ${backend}`, JSON.stringify({ median: figures.medianMs, p95: figures.p95Ms }));
  return figures;
}

/** Training throughput per model on one backend with `?readback=N`, the first step's delay,
 * and main-thread long tasks while training. */
async function training(server, backend, readback) {
  const context = await browser();
  const cases = [];
  try {
    const page = await open(context, server.url, querySuffix(backend, readback === 1 ? {} : { readback: String(readback) }));
    await calibrateLongTasks(page);
    await waitReady(page);
    const honoured = await page.getByTestId('train-state').getAttribute('data-readback');
    if (readback !== 1 && honoured !== String(readback)) {
      log(`training ${backend} readback=${readback}: the page ignores ?readback (data-readback=${honoured})`);
      return { backend, readback, available: false, cases };
    }
    for (const model of MODELS) {
      const loadBefore = load();
      // All 55,000 images (860 steps), so no epoch end (and its evaluation) falls in the window.
      await configure(page, { model, subset: 'all', epochs: 1 });
      const { clicked, from, stale } = await start(page);
      await page.waitForFunction(({ from, stale, warm, end, windowMs, cap }) => {
        if (document.querySelector('[data-testid="train-state"]').dataset.state === 'error') return true;
        let records = globalThis.__bench.steps.slice(from).filter((r) => r[1] > 0);
        let begin = 0;
        for (let i = 1; i < records.length; i++) if (records[i][1] < records[i - 1][1]) begin = i;
        records = records.slice(begin);
        if (stale > 0 && records.length && records[0][1] >= stale) return false; // the previous run's figure
        const first = records.find((r) => r[1] >= warm);
        const last = records.at(-1);
        return first && last[1] >= end && (last[0] - first[0] >= windowMs || last[1] >= cap);
      }, { from, stale, warm: WARM_STEP, end: END_STEP, windowMs: MIN_WINDOW_MS, cap: 800 }, { timeout: 30 * MINUTE, polling: 200 });
      const stopped = await pageNow(page);
      const pageFigure = Number(await page.getByTestId('metric-throughput').getAttribute('data-value'));
      await stopAndSettle(page);
      const b = await bench(page);
      const records = runRecords(b.steps, from).filter((r) => r[0] <= stopped);
      const first = firstAt(records, 1);
      const warm = firstAt(records, WARM_STEP);
      const end = records.at(-1);
      if (!warm || end[1] < END_STEP) await fail(page, `${model} on ${backend}`);
      const tasks = longTasksIn(b, clicked, stopped);
      const c = {
        backend, readback, model, batch: BATCH,
        imagesPerSecond: round(((end[1] - warm[1]) * BATCH) / ((end[0] - warm[0]) / 1000)),
        stepsMeasured: end[1] - warm[1],
        secondsMeasured: round((end[0] - warm[0]) / 1000, 2),
        // The page's own figure: the mean of the last 20 reported steps' images/s, each timed in
        // the worker (on WebGPU a step returns before the device is done, so this overstates).
        pageReportedImagesPerSecond: round(pageFigure),
        firstStepSeconds: round((first[0] - clicked) / 1000, 2),
        // Harness-only tasks (the benchmark's own polling) are left out of these two figures.
        longestMainThreadTaskMs: longest(counted(tasks)),
        mainThreadTasksOver50ms: counted(tasks).length,
        longestAppTaskMs: longest(tasks.filter((t) => t.kind === 'app')),
        trainingSeconds: round((stopped - clicked) / 1000),
        longTasks: tasks,
        load: loadBefore,
      };
      log('training', JSON.stringify(c));
      cases.push(c);
    }
    return { backend, readback, available: true, cases };
  } finally {
    await context.close();
  }
}

/** The 10,000 test images through the pre-trained Atelier CNN in the worker, in one call
 * (`?debug=1`: `atelierDebug.measureInference()`, timed by the worker, reading back included). */
async function inference(server, backend) {
  const context = await browser();
  try {
    const page = await open(context, server.url, querySuffix(backend, { debug: '1' }));
    await waitReady(page, true);
    if (!(await page.evaluate(() => typeof window.atelierDebug?.measureInference === 'function'))) {
      log(`inference ${backend}: the page has no atelierDebug.measureInference()`);
      return { backend, available: false };
    }
    const loadBefore = load();
    await page.evaluate(() => { delete window.atelierDebug.inference; window.atelierDebug.measureInference(); });
    await page.waitForFunction(() => window.atelierDebug.inference, null, { timeout: 30 * MINUTE, polling: 250 });
    const f = await page.evaluate(() => ({ ...window.atelierDebug.inference }));
    if (f.error) throw new Error(`inference on ${backend}: ${f.error}`);
    const result = { backend, available: true, model: 'atelier-cnn (pre-trained)', images: f.images, seconds: round(f.seconds, 2),
      imagesPerSecond: round(f.images / f.seconds), accuracy: round(f.accuracy * 100, 2), answeredOn: f.backend, load: loadBefore, loadAfter: load() };
    log('inference', JSON.stringify(result));
    return result;
  } finally {
    await context.close();
  }
}

/** Memory after epochs 1 and 3 (engine wasm memory, GPU bytes, page JS heap), and inference
 * throughput from each epoch's evaluation: from the epoch's last step on the page to the
 * confusion matrix of that epoch (5,000 validation + 10,000 test images classified, the test
 * probabilities sent to the page and tallied there). */
async function memory(server, backend) {
  const context = await browser();
  try {
    const page = await open(context, server.url, querySuffix(backend));
    await calibrateLongTasks(page);
    await waitReady(page);
    const loadBefore = load();
    await configure(page, { model: MEMORY_MODEL, subset: SLICE_IMAGES, epochs: MEMORY_EPOCHS });
    const { clicked, from } = await start(page);
    const stepsPerEpoch = Math.ceil(SLICE_IMAGES / BATCH);
    const perEpoch = [];
    const gcWindows = [];
    for (let e = 1; e <= MEMORY_EPOCHS; e++) {
      await page.waitForFunction((e) => {
        const ev = document.querySelector('[data-testid="evaluation"]');
        const state = document.querySelector('[data-testid="train-state"]').dataset.state;
        return state === 'error' || (Number(ev?.dataset.epoch) >= e
          && document.querySelector('[data-testid="epoch-summary"]')?.textContent.includes(`epoch ${e}:`)
          && document.querySelector('[data-testid="engine-memory"]'));
      }, e, { timeout: 60 * MINUTE, polling: 100 });
      const figures = await page.evaluate(() => {
        const m = document.querySelector('[data-testid="engine-memory"]')?.dataset ?? {};
        const number = (v) => (v === undefined || v === '' ? null : Number(v));
        return { wasmBytes: number(m.wasmBytes), deviceBytes: number(m.deviceBytes), deviceReserved: number(m.deviceReserved),
          testAccuracy: number(document.querySelector('[data-testid="metric-test-accuracy"]')?.dataset.value) };
      });
      if (figures.wasmBytes === null) await fail(page, `memory on ${backend}`);
      const heap = await jsHeap(page);
      gcWindows.push(heap.gcWindow);
      const b = await bench(page);
      const stepsDone = firstAt(runRecords(b.steps, from), e * stepsPerEpoch);
      const shown = b.evals.find((r) => r[2] === e && r[0] >= clicked);
      const evalSeconds = stepsDone && shown ? (shown[0] - stepsDone[0]) / 1000 : null;
      const row = { epoch: e, ...figures, jsHeapBytes: heap.bytes, evalSeconds: round(evalSeconds, 2),
        inferenceImagesPerSecond: evalSeconds ? round(EVAL_IMAGES / evalSeconds) : null };
      log(`memory ${backend}`, JSON.stringify(row));
      perEpoch.push(row);
    }
    const ended = await pageNow(page);
    await stopAndSettle(page);
    const b = await bench(page);
    const tasks = longTasksIn(b, clicked, ended, gcWindows);
    const growth = (key) => {
      const [a, z] = [perEpoch[0][key], perEpoch.at(-1)[key]];
      return a && z != null ? round(((z - a) / a) * 100, 2) : null;
    };
    return {
      backend, model: MEMORY_MODEL, trainImages: SLICE_IMAGES, epochs: MEMORY_EPOCHS, perEpoch,
      growthPercent: { wasmBytes: growth('wasmBytes'), deviceBytes: growth('deviceBytes'), deviceReserved: growth('deviceReserved'), jsHeapBytes: growth('jsHeapBytes') },
      longestMainThreadTaskMs: longest(counted(tasks)),
      mainThreadTasksOver50ms: counted(tasks).length,
      longestAppTaskMs: longest(tasks.filter((t) => t.kind === 'app')),
      longTasks: tasks,
      load: loadBefore, loadAfter: load(),
    };
  } finally {
    await context.close();
  }
}

/** One epoch of the Atelier CNN: the whole train set (`full`), or a 1,000-image slice whose
 * per-step time and evaluation time are extrapolated to 55,000 images. */
async function epoch(server, backend, full) {
  const context = await browser();
  try {
    const page = await open(context, server.url, querySuffix(backend));
    await waitReady(page);
    const loadBefore = load();
    const images = full ? FULL_IMAGES : SLICE_IMAGES;
    await configure(page, { model: 'atelier-cnn', subset: full ? 'all' : SLICE_IMAGES, epochs: 1 });
    const { clicked, from } = await start(page);
    await page.waitForFunction(() => {
      const ev = document.querySelector('[data-testid="evaluation"]');
      const state = document.querySelector('[data-testid="train-state"]').dataset.state;
      return state === 'error' || (state === 'done' && Number(ev?.dataset.epoch) >= 1);
    }, null, { timeout: (full ? 180 : 60) * MINUTE, polling: 250 });
    const b = await bench(page);
    const records = runRecords(b.steps, from);
    const steps = Math.ceil(images / BATCH);
    const [first, warm, last] = [firstAt(records, 1), firstAt(records, 3), firstAt(records, steps)];
    const shown = b.evals.find((r) => r[2] === 1 && r[0] >= clicked);
    if (!last || !shown) await fail(page, `the Atelier CNN epoch on ${backend}`);
    const testAccuracy = Number(await page.getByTestId('metric-test-accuracy').getAttribute('data-value'));
    const stepSeconds = (last[0] - warm[0]) / 1000 / (last[1] - warm[1]);
    const evalSeconds = (shown[0] - last[0]) / 1000;
    const measured = {
      backend, model: 'atelier-cnn', trainImages: images, full,
      wallSeconds: round((shown[0] - clicked) / 1000), trainingSeconds: round((last[0] - clicked) / 1000),
      firstStepSeconds: round((first[0] - clicked) / 1000, 2), stepSeconds: round(stepSeconds, 3),
      imagesPerSecond: round(BATCH / stepSeconds), evalSeconds: round(evalSeconds),
      inferenceImagesPerSecond: round(EVAL_IMAGES / evalSeconds), testAccuracy: round(testAccuracy * 100, 2),
      load: loadBefore, loadAfter: load(),
    };
    if (!full) {
      const fullSteps = Math.ceil(FULL_IMAGES / BATCH);
      measured.extrapolatedEpochSeconds = round((first[0] - clicked) / 1000 + (fullSteps - 1) * stepSeconds + evalSeconds);
    }
    log(`epoch ${backend}`, JSON.stringify(measured));
    return measured;
  } finally {
    await context.close();
  }
}

/** `cargo bench --features engine --bench engine`, then criterion's estimates. */
async function native() {
  const loadBefore = load();
  // The benchmark reads the real images from ATELIER_DATA_DIR (default: Debian's package), else
  // from the app's own copy in static/data.
  const env = { ...process.env };
  if (!env.ATELIER_DATA_DIR && !existsSync('/usr/share/datasets/fashion-mnist') && existsSync(join(ROOT, 'static', 'data'))) {
    env.ATELIER_DATA_DIR = join(ROOT, 'static', 'data');
  }
  const run = spawnSync('cargo', ['bench', '--features', 'engine', '--bench', 'engine'], { cwd: ROOT, env, stdio: ['ignore', 2, 2] });
  if (run.status !== 0) throw new Error(`cargo bench failed (${run.status})`);
  const root = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'criterion');
  const figures = [];
  const walk = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (!entry.isDirectory()) continue;
      if (entry.name === 'new' && existsSync(join(path, 'estimates.json'))) {
        const meta = JSON.parse(await readFile(join(path, 'benchmark.json'), 'utf8'));
        const est = JSON.parse(await readFile(join(path, 'estimates.json'), 'utf8'));
        const seconds = est.median.point_estimate / 1e9;
        const elements = meta.throughput?.Elements ?? null;
        figures.push({ id: meta.full_id, medianMicros: round(seconds * 1e6, 2),
          lowMicros: round(est.median.confidence_interval.lower_bound / 1e3, 2), highMicros: round(est.median.confidence_interval.upper_bound / 1e3, 2),
          perSecond: elements ? round(elements / seconds, 0) : null });
      } else if (entry.name !== 'base' && entry.name !== 'report') {
        await walk(path);
      }
    }
  };
  await walk(root);
  return { load: loadBefore, loadAfter: load(), figures: figures.sort((a, b) => a.id.localeCompare(b.id)) };
}

// ---------------------------------------------------------------------------------------------
// Report

const NA = 'not available';
const kb = (bytes) => (bytes == null ? '–' : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(0)} kB`);
const num = (x, digits = 0) => (x == null ? '–' : Number(x).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ms = (x) => (x == null ? '–' : `${num(x)} ms`);
const pct = (x) => (x == null ? '–' : `${x > 0 ? '+' : ''}${num(x, 1)} %`);
const loadText = (l) => (l ? `load ${l[0]}` : '');
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** The models measured for training throughput, in the usual order. */
const modelsOf = (r) => Object.keys(MODEL_NAMES).filter((m) => r.training.some((t) => t.cases.some((c) => c.model === m)));

function verdicts(r) {
  const out = [];
  const check = (target, measured, met, note = '') => out.push({ target, measured, status: met === null ? NA : met ? 'met' : 'not met', note });

  const gpu = (readback) => r.training.find((t) => t.backend === 'webgpu' && t.readback === readback);
  if (gpu(1) && gpu(10)?.available) {
    const costs = modelsOf(r).map((m) => {
      const a = gpu(1).cases.find((c) => c.model === m)?.imagesPerSecond;
      const b = gpu(10).cases.find((c) => c.model === m)?.imagesPerSecond;
      return { m, cost: a && b ? round(((b - a) / b) * 100, 1) : null };
    }).filter((c) => c.cost !== null);
    r.readbackCost = costs;
    check(`WebGPU readback cost < ${TARGETS.readbackCost} % of throughput`,
      costs.map((c) => `${MODEL_NAMES[c.m]} ${pct(c.cost)}`).join(', ') || '–',
      costs.length ? costs.every((c) => c.cost < TARGETS.readbackCost) : null, 'throughput lost reading the loss every step vs every 10th');
  } else {
    check(`WebGPU readback cost < ${TARGETS.readbackCost} % of throughput`, gpu(10) ? 'page ignores ?readback' : 'not measured', null);
  }

  const trainingCases = [...r.training.flatMap((t) => t.cases), ...r.memory];
  if (trainingCases.length) {
    const worst = Math.max(...trainingCases.map((c) => c.longestMainThreadTaskMs));
    const app = Math.max(...trainingCases.map((c) => c.longestAppTaskMs ?? 0));
    const over = trainingCases.reduce((n, c) => n + c.mainThreadTasksOver50ms, 0);
    const where = trainingCases.filter((c) => c.mainThreadTasksOver50ms).map((c) => `${c.backend} ${MODEL_NAMES[c.model]}`);
    check(`no main-thread task > ${TARGETS.longTaskMs} ms while training`,
      `longest ${ms(worst)} (with Atelier's scripts in its frame: ${ms(app)}); ${over} over 50 ms${where.length ? ` (${[...new Set(where)].join(', ')})` : ''}`,
      worst <= TARGETS.longTaskMs, 'tasks of the benchmark\'s own polling left out');
  } else check(`no main-thread task > ${TARGETS.longTaskMs} ms while training`, 'not measured', null);

  const lat = r.load.find((l) => l.backend === 'webgpu')?.latency;
  check(`single-image classification < ${TARGETS.latencyMedianMs} ms median on WebGPU`,
    lat ? `median ${num(lat.medianMs, 1)} ms, p95 ${num(lat.p95Ms, 1)} ms (answered on ${lat.answeredOn})` : 'not measured',
    lat ? lat.medianMs < TARGETS.latencyMedianMs && lat.answeredOn === 'webgpu' : null);

  const cached = r.load.flatMap((l) => l.cached.map((c) => c.firstGalleryImageMs)).filter((x) => x != null);
  check(`first gallery images < ${TARGETS.galleryCachedMs} ms after navigation, data cached`,
    cached.length ? `median ${ms(median(cached))}, worst ${ms(Math.max(...cached))}` : 'not measured',
    cached.length ? Math.max(...cached) < TARGETS.galleryCachedMs : null);

  const growths = r.memory.flatMap((m) => Object.entries(m.growthPercent).filter(([, g]) => g !== null).map(([k, g]) => ({ k: `${m.backend} ${k}`, g })));
  check(`memory growth < ${TARGETS.memoryGrowth} % from epoch 1 to 3`,
    growths.length ? `largest ${pct(Math.max(...growths.map((x) => x.g)))} (${growths.reduce((a, b) => (b.g > a.g ? b : a)).k})` : 'not measured',
    growths.length ? growths.every((x) => x.g < TARGETS.memoryGrowth) : null);

  check('UI wasm < 1 MB gzip', r.bundle ? `${kb(r.bundle.uiWasm.gzip)} gzip (${kb(r.bundle.uiWasm.raw)} raw)` : 'not measured',
    r.bundle ? r.bundle.uiWasm.gzip < TARGETS.uiWasmGzipBytes : null);
  return out;
}

function report(r) {
  const parts = [];
  parts.push(`Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${num(r.machine.memoryGiB)} GiB; ${r.machine.browser}; ` +
    `WebGPU adapter: ${r.machine.adapter ? `${r.machine.adapter.vendor} ${r.machine.adapter.architecture} ${r.machine.adapter.description}`.trim() : 'none'}; ` +
    `load average at start ${r.loadStart.join(' / ')}, at end ${r.loadEnd.join(' / ')}${r.quick ? '; --quick' : ''}.`);

  if (r.training.length) {
    const cell = (backend, readback, model, key) => {
      const t = r.training.find((x) => x.backend === backend && x.readback === readback);
      if (!t) return '–';
      if (!t.available) return NA;
      const c = t.cases.find((x) => x.model === model);
      return c ? num(c[key], key === 'firstStepSeconds' ? 1 : 0) + (key === 'firstStepSeconds' ? ' s' : '') : '–';
    };
    const cost = (model) => pct(r.readbackCost?.find((c) => c.m === model)?.cost ?? null);
    const loads = r.training.flatMap((t) => t.cases.map((c) => c.load[0]));
    const w = r.window ?? { warmStep: WARM_STEP, endStep: END_STEP, minWindowMs: MIN_WINDOW_MS };
    parts.push(`**Training throughput**, images/s at batch ${BATCH} (from step ${w.warmStep}, over ≥ ${w.endStep - w.warmStep} steps and ≥ ${w.minWindowMs / 1000} s; load ${num(Math.min(...loads), 1)}–${num(Math.max(...loads), 1)}):\n\n` + table(
      ['model', 'WebGPU', 'WebGPU, loss read every 10 steps', 'readback cost', 'first step', 'CPU', 'CPU, every 10 steps', 'first step'],
      modelsOf(r).map((m) => [MODEL_NAMES[m], cell('webgpu', 1, m, 'imagesPerSecond'), cell('webgpu', 10, m, 'imagesPerSecond'), cost(m),
        cell('webgpu', 1, m, 'firstStepSeconds'), cell('cpu', 1, m, 'imagesPerSecond'), cell('cpu', 10, m, 'imagesPerSecond'), cell('cpu', 1, m, 'firstStepSeconds')])));
  }

  if (r.load.length) {
    const rows = [];
    for (const l of r.load) {
      for (const kind of ['cold', 'cached']) {
        const xs = l[kind];
        const m = (key) => { const v = xs.map((x) => x[key]).filter((x) => x != null); return v.length ? `${ms(median(v))}${v.length > 1 ? ` (${num(Math.min(...v))}–${num(Math.max(...v))})` : ''}` : '–'; };
        rows.push([`${l.backend === 'cpu' ? '`?backend=cpu`' : 'default (WebGPU)'}, ${kind}`, m('firstGalleryImageMs'), m('dataReadyMs'), m('engineReadyMs'), m('pretrainedReadyMs'),
          kb(median(xs.map((x) => x.jsHeapBytes))), loadText(l.load)]);
      }
    }
    parts.push(`**Page**, from navigation (median of ${Math.max(...r.load.map((l) => l.cold.length))} fresh profiles where more than one, and range):\n\n` + table(
      ['page', 'first gallery image', 'all 70,000 images parsed', 'engine ready (backend badge)', 'pre-trained model ready', 'page JS heap', 'load'], rows));
    const lat = r.load.filter((l) => l.latency);
    if (lat.length) {
      parts.push('**Single-image classification**, input event → probabilities on the page (with saliency):\n\n' + table(
        ['backend', 'median', 'p95', 'samples', 'load'],
        lat.map((l) => [l.latency.answeredOn ?? l.backend, `${num(l.latency.medianMs, 1)} ms`, `${num(l.latency.p95Ms, 1)} ms`, l.latency.samples.length, loadText(l.load)])));
    }
  }

  if (r.inference.length) {
    parts.push('**Inference throughput**, the 10,000 test images through the pre-trained Atelier CNN in one call in the worker ' +
      '(`?debug=1`, `atelierDebug.measureInference()`, timed by the worker, reading the probabilities back included):\n\n' + table(
      ['backend', 'images/s', 'seconds', 'test accuracy', 'load'],
      r.inference.map((i) => (i.available
        ? [i.answeredOn, num(i.imagesPerSecond), num(i.seconds, 1), `${num(i.accuracy, 2)} %`, loadText(i.load)]
        : [i.backend, NA, '–', '–', '–']))));
  }

  if (r.memory.length || r.epoch.length) {
    const rows = [];
    for (const m of r.memory) {
      const seconds = median(m.perEpoch.map((p) => p.evalSeconds));
      rows.push([`${m.backend === 'cpu' ? 'CPU' : 'WebGPU'}, ${MODEL_NAMES[m.model]}`, `${num(EVAL_IMAGES / seconds)} (${num(seconds, 1)} s, median of ${m.perEpoch.length} epochs)`, loadText(m.load)]);
    }
    for (const e of r.epoch) {
      rows.push([`${e.backend === 'cpu' ? 'CPU' : 'WebGPU'}, ${MODEL_NAMES[e.model]}`, `${num(e.inferenceImagesPerSecond)} (${num(e.evalSeconds, 1)} s)`, loadText(e.load)]);
    }
    parts.push(`**Evaluation after each epoch**, images/s, from the epoch's last step to its confusion matrix on the page (${num(EVAL_IMAGES)} images classified: ` +
      '5,000 validation + 10,000 test; includes sending 400 kB of probabilities and tallying them):\n\n' + table(['backend, model', 'images/s', 'load'], rows));
  }

  if (r.memory.length) {
    const series = (m, key) => (m.perEpoch[0][key] == null ? '–'
      : `${m.perEpoch.map((p) => kb(p[key])).join(' → ')} (${pct(m.growthPercent[key])})`);
    const rows = r.memory.map((m) => [`${m.backend === 'cpu' ? 'CPU' : 'WebGPU'}, ${MODEL_NAMES[m.model]}`, series(m, 'wasmBytes'),
      series(m, 'deviceBytes'), series(m, 'deviceReserved'), series(m, 'jsHeapBytes'), ms(m.longestMainThreadTaskMs), loadText(m.load)]);
    const m0 = r.memory[0];
    parts.push(`**Memory**, ${num(m0.trainImages)} training images per epoch (+ 15,000 evaluated), after epoch ${m0.perEpoch.map((p) => p.epoch).join(' → ')} ` +
      '(growth from the first to the last; page JS heap after a forced GC):\n\n' + table(['backend, model', 'engine wasm memory', 'GPU bytes in use', 'GPU pool reserved', 'page JS heap', 'longest main-thread task', 'load'], rows));
  }

  if (r.epoch.length) {
    parts.push('**One epoch of the Atelier CNN** (55,000 training images, then 15,000 evaluated):\n\n' + table(
      ['backend', 'measured on', 'images/s', 'epoch wall time', 'test accuracy', 'load'],
      r.epoch.map((e) => [e.backend === 'cpu' ? 'CPU' : 'WebGPU', e.full ? 'the whole epoch' : `a ${num(e.trainImages)}-image slice`,
        num(e.imagesPerSecond), e.full ? `${num(e.wallSeconds / 60, 1)} min` : `≈ ${num(e.extrapolatedEpochSeconds / 60, 0)} min (extrapolated)`,
        e.full ? `${num(e.testAccuracy, 2)} %` : `${num(e.testAccuracy, 2)} % (after only ${num(e.trainImages)} images; not an epoch's accuracy)`, loadText(e.load)])));
  }

  if (r.bundle) {
    const b = r.bundle;
    parts.push('**Bytes shipped** (gzip -9):\n\n' + table(['what', 'raw', 'gzip'], [
      ['UI wasm', kb(b.uiWasm.raw), kb(b.uiWasm.gzip)], ['UI JS', kb(b.uiJs.raw), kb(b.uiJs.gzip)],
      ['page total (HTML, CSS, UI JS + wasm)', kb(b.page.raw), kb(b.page.gzip)],
      ['engine worker wasm', kb(b.engineWasm.raw), kb(b.engineWasm.gzip)], ['engine worker JS', kb(b.engineJs.raw), kb(b.engineJs.gzip)],
      ...(b.otherJs.raw ? [['other JS (service worker)', kb(b.otherJs.raw), kb(b.otherJs.gzip)]] : [])]));
  }

  if (r.native) {
    parts.push(`**Native** (\`cargo bench --features engine --bench engine\`, Flex CPU backend, median and 95 % interval; ${loadText(r.native.load)}):\n\n` + table(
      ['benchmark', 'median', 'interval', 'per second'],
      r.native.figures.map((f) => [f.id, `${num(f.medianMicros, f.medianMicros < 100 ? 1 : 0)} µs`, `${num(f.lowMicros, 1)}–${num(f.highMicros, 1)} µs`, f.perSecond ? num(f.perSecond) : '–'])));
  }

  parts.push('**Targets**:\n\n' + table(['target', 'measured', 'status'], r.targets.map((t) => [t.target, t.measured + (t.note ? ` — ${t.note}` : ''), t.status])));
  return parts.join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Main

// `--report FILE`: the tables and verdicts again from a saved bench*.json, measuring nothing.
if (option('--report')) {
  const saved = JSON.parse(await readFile(option('--report'), 'utf8'));
  saved.targets = verdicts(saved);
  console.log(report(saved));
  process.exit(0);
}

const startedAt = new Date();
const results = {
  date: startedAt.toISOString(), quick: QUICK, fullEpoch: FULL_EPOCH, sections: [...SECTIONS], loadStart: load(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGiB: totalmem() / 2 ** 30, kernel: release(), browser: null, adapter: null },
  window: { warmStep: WARM_STEP, endStep: END_STEP, minWindowMs: MIN_WINDOW_MS },
  bundle: null, load: [], inference: [], training: [], memory: [], epoch: [], native: null,
};
// bench.json for a complete run; a partial one (--only, --quick, --sections) gets its own name.
const partial = option('--sections') ? `-${[...SECTIONS].join('-')}` : '';
const out = join(ARTIFACTS, `bench${ONLY ? `-${ONLY}` : ''}${QUICK ? '-quick' : ''}${partial}.json`);
results.errors = [];

/** Figures, verdicts and the Markdown so far; written after every section, so a failure late in
 * a long run keeps what was measured. */
async function save() {
  results.loadEnd = load();
  Object.assign(results.machine, machine);
  results.wallSeconds = round((Date.now() - startedAt) / 1000, 0);
  results.targets = verdicts(results);
  results.markdown = report(results);
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(out, JSON.stringify(results, null, 2));
}

/** Runs one measurement; an error is logged and recorded, and the run goes on. */
async function measure(what, body) {
  try {
    await body();
  } catch (e) {
    log(`${what} failed: ${e.stack ?? e}`);
    results.errors.push({ what, error: String(e.message ?? e).split('\n')[0] });
  }
  await save();
}

const dir = await snapshotDist();
const server = await serve(dir);
try {
  if (SECTIONS.has('bundle')) await measure('bundle', async () => { results.bundle = await bundle(dir); });
  if (SECTIONS.has('load') || SECTIONS.has('latency')) {
    for (const backend of BACKENDS) {
      const samples = SECTIONS.has('load') ? (backend === 'webgpu' ? LOAD_SAMPLES : 1) : 1;
      await measure(`load ${backend}`, async () => { results.load.push(await loadAndLatency(server, backend, samples, SECTIONS.has('latency'))); });
    }
  }
  if (SECTIONS.has('inference')) {
    for (const backend of BACKENDS) {
      if (QUICK && backend === 'webgpu') continue; // ~4 min on SwiftShader
      await measure(`inference ${backend}`, async () => { results.inference.push(await inference(server, backend)); });
    }
  }
  if (SECTIONS.has('training')) {
    for (const backend of BACKENDS) {
      for (const readback of READBACKS) {
        await measure(`training ${backend} readback=${readback}`, async () => { results.training.push(await training(server, backend, readback)); });
      }
    }
  }
  if (SECTIONS.has('memory')) {
    for (const backend of BACKENDS) await measure(`memory ${backend}`, async () => { results.memory.push(await memory(server, backend)); });
  }
  if (SECTIONS.has('epoch')) {
    for (const backend of BACKENDS) {
      if (QUICK && backend === 'webgpu') continue; // ~7 min on SwiftShader
      // The CPU's whole epoch takes about 2 minutes, so it is measured, not extrapolated.
      const full = FULL_EPOCH || (backend === 'cpu' && !QUICK);
      await measure(`epoch ${backend}`, async () => { results.epoch.push(await epoch(server, backend, full)); });
    }
  }
  if (SECTIONS.has('native')) await measure('native', async () => { results.native = await native(); });
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
await save();
console.log(results.markdown);
if (results.errors.length) console.log(`\n**Errors**: ${results.errors.map((e) => `${e.what}: ${e.error}`).join('; ')}`);
log(`wrote ${out} (${results.wallSeconds} s)`);
process.exitCode = results.errors.length ? 1 : 0;

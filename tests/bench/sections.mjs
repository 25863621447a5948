// The measurements: one function per section of the report.
import { spawnSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from '../e2e/harness.mjs';
import { MODELS, BATCH, WARM_STEP, END_STEP, MIN_WINDOW_MS, MEMORY_MODEL, MEMORY_EPOCHS, START_AFTER_MS, SLICE_IMAGES, FULL_IMAGES, EVAL_IMAGES, MINUTE, load, round, log } from './config.mjs';
import { latency, mainThread } from './responsiveness.mjs';
import { browser, open, bench, pageNow, waitReady, calibrateLongTasks, jsHeap, querySuffix, configure, start, runRecords, stopAndSettle, firstAt, longTasksIn, counted, longest, fail } from './browser.mjs';

/** Bytes the browser downloads: the page's bundle and the engine worker's, raw and gzip -9. */
export async function bundle(dir) {
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
 * ready, → the backend decided (the badge's data-choice no longer `measuring`; on the default
 * page, `backend` null, that is the race): cold (fresh profile) and cached (reload). Then
 * single-image latency on that page (`withLatency`; the latency section measures it apart now). */
export async function loadAndLatency(server, backend, samples, withLatency) {
  const result = { backend, query: querySuffix(backend), cold: [], cached: [], returning: [], latency: null, load: load() };
  for (let i = 0; i < samples; i++) {
    const context = await browser();
    try {
      const page = await open(context, server.url, querySuffix(backend));
      // `returning` (the default page): a visit after one whose race finished, GPU figure
      // included, so the stored race decides — a learner coming back another day.
      for (const kind of backend ? ['cold', 'cached'] : ['cold', 'cached', 'returning']) {
        if (kind === 'returning') {
          await page.waitForFunction(() => {
            const d = document.querySelector('[data-testid="backend"]')?.dataset;
            return d && (d.gpuRate || d.raceComplete === 'true' || d.choice === 'unavailable');
          }, null, { timeout: 4 * MINUTE, polling: 250 });
        }
        if (kind !== 'cold') await page.reload();
        await waitReady(page, true);
        // Builds before the race have no data-choice: nothing to wait for.
        await page.waitForFunction(() => {
          const d = document.querySelector('[data-testid="backend"]')?.dataset;
          return d && (d.choice === undefined || ['measured', 'cached', 'forced', 'unavailable'].includes(d.choice));
        }, null, { timeout: MINUTE, polling: 50 }).catch(() => log(`load ${backend ?? 'default'}: no backend decision within a minute`));
        const figures = await page.evaluate(() => {
          const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
          const b = window.__bench;
          const decided = b.choices.find((c) => ['measured', 'cached', 'forced', 'unavailable'].includes(c[1]));
          return { firstGalleryImageMs: mark('atelier:first-gallery-image'), dataReadyMs: mark('atelier:data-ready'),
            engineReadyMs: b.backendAt, backend: b.backend, pretrainedReadyMs: b.pretrainedAt,
            decidedMs: decided?.[0] ?? null, choice: decided?.[1] ?? null, decidedBackend: decided?.[3] ?? null };
        });
        const heap = await jsHeap(page);
        result[kind].push({ ...figures, jsHeapBytes: heap.bytes });
        log(`load ${backend ?? 'default'} ${kind} #${i + 1}`, JSON.stringify(figures));
      }
      if (withLatency && i === samples - 1) result.latency = await latency(page, backend);
    } finally {
      await context.close();
    }
  }
  result.loadAfter = load();
  return result;
}

/** Training throughput per model on one backend with `?readback=N`, the first step's delay,
 * and main-thread long tasks while training. */
export async function training(server, backend, readback, { workers = null, models = MODELS } = {}) {
  const context = await browser();
  const cases = [];
  try {
    const extra = { ...(readback === 1 ? {} : { readback: String(readback) }), ...(workers ? { workers: String(workers) } : {}) };
    const page = await open(context, server.url, querySuffix(backend, extra));
    await calibrateLongTasks(page);
    await waitReady(page);
    const honoured = await page.getByTestId('train-state').getAttribute('data-readback');
    if (readback !== 1 && honoured !== String(readback)) {
      log(`training ${backend} readback=${readback}: the page ignores ?readback (data-readback=${honoured})`);
      return { backend, readback, available: false, cases };
    }
    for (const model of models) {
      const loadBefore = load();
      // All 55,000 images (860 steps), so no epoch end (and its evaluation) falls in the window.
      await configure(page, { model, subset: 'all', epochs: 1 });
      if (START_AFTER_MS) await new Promise((ok) => setTimeout(ok, START_AFTER_MS));
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
      // "Images / s · 2 cores" while workers train together (data parallel on the CPU).
      const label = await page.getByTestId('metric-throughput').locator('.metric-label').innerText();
      const trainedBy = Number(label.match(/(\d+) cores/i)?.[1] ?? 1);
      await stopAndSettle(page);
      const b = await bench(page);
      const records = runRecords(b.steps, from).filter((r) => r[0] <= stopped);
      const first = firstAt(records, 1);
      const warm = firstAt(records, WARM_STEP);
      const end = records.at(-1);
      if (!warm || end[1] < END_STEP) await fail(page, `${model} on ${backend}`);
      const tasks = longTasksIn(b, clicked, stopped);
      const c = {
        backend, readback, model, batch: BATCH, workers: trainedBy, startAfterMs: START_AFTER_MS,
        imagesPerSecond: round(((end[1] - warm[1]) * BATCH) / ((end[0] - warm[0]) / 1000)),
        stepsMeasured: end[1] - warm[1],
        secondsMeasured: round((end[0] - warm[0]) / 1000, 2),
        // The page's own readout (wall-clock over its last ~2 s, from when step reads came back).
        pageReportedImagesPerSecond: round(pageFigure),
        firstStepSeconds: round((first[0] - clicked) / 1000, 2),
        // Harness-only tasks (the benchmark's own polling) are left out of these two figures.
        longestMainThreadTaskMs: longest(counted(tasks)),
        mainThreadTasksOver50ms: counted(tasks).length,
        longestAppTaskMs: longest(tasks.filter((t) => t.kind === 'app')),
        mainThread: mainThread(b, clicked, stopped),
        trainingSeconds: round((stopped - clicked) / 1000),
        longTasks: tasks,
        load: loadBefore,
      };
      log('training', JSON.stringify(c));
      cases.push(c);
    }
    return { backend, readback, workers, available: true, cases };
  } finally {
    await context.close();
  }
}

/** The 10,000 test images through the pre-trained Atelier CNN in the worker, in one call
 * (`?debug=1`: `atelierDebug.measureInference()`, timed by the worker, reading back included). */
export async function inference(server, backend) {
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

/** Memory after epochs 1 and 3 (engine wasm memory and GPU bytes once the epoch's evaluation
 * and checkpoint are done, page JS heap after a forced GC), and inference
 * throughput from each epoch's evaluation: from the epoch's last step on the page to the
 * confusion matrix of that epoch (5,000 validation + 10,000 test images classified, the test
 * probabilities sent to the page and tallied there). */
export async function memory(server, backend) {
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
          && Number(document.querySelector('[data-testid="engine-memory"]')?.dataset.epoch) >= e);
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
    // The target: epoch 1 → epoch 3; with --memory-epochs > 3 also epoch 2 → the last.
    const growth = (key, from = 1, to = 3) => {
      const [a, z] = [perEpoch.find((p) => p.epoch === from)?.[key], perEpoch.find((p) => p.epoch === to)?.[key]];
      return a && z != null ? round(((z - a) / a) * 100, 2) : null;
    };
    const keys = ['wasmBytes', 'deviceBytes', 'deviceReserved', 'jsHeapBytes'];
    return {
      backend, model: MEMORY_MODEL, trainImages: SLICE_IMAGES, epochs: MEMORY_EPOCHS, perEpoch,
      growthPercent: Object.fromEntries(keys.map((k) => [k, growth(k)])),
      laterGrowthPercent: MEMORY_EPOCHS > 3 ? Object.fromEntries(keys.map((k) => [k, growth(k, 2, MEMORY_EPOCHS)])) : null,
      longestMainThreadTaskMs: longest(counted(tasks)),
      mainThreadTasksOver50ms: counted(tasks).length,
      longestAppTaskMs: longest(tasks.filter((t) => t.kind === 'app')),
      mainThread: mainThread(b, clicked, ended, gcWindows),
      longTasks: tasks,
      load: loadBefore, loadAfter: load(),
    };
  } finally {
    await context.close();
  }
}

/** One epoch of the Atelier CNN: the whole train set (`full`), or a 1,000-image slice whose
 * per-step time and evaluation time are extrapolated to 55,000 images. */
export async function epoch(server, backend, full) {
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
export async function native() {
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

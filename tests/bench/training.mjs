// Measures training in headless Chromium: throughput per model and backend, time to the first
// step, the longest main-thread task while training, and memory per epoch.
// Run after `trunk build --release`:  node tests/bench/training.mjs [--quick] [--only cpu|webgpu]
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serveDist, launch, ARTIFACTS } from '../e2e/harness.mjs';

const quick = process.argv.includes('--quick');
// `--only cpu` or `--only webgpu` measures one backend.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const BACKENDS = ['webgpu', 'cpu'].filter((b) => !only || b === only);
const MEASURE_STEPS = quick ? 8 : 20;

async function openApp(server, query) {
  const context = await launch();
  const page = await context.newPage();
  // Long tasks on the main thread, collected from the first moment.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${server.url}${query}`);
  // Calibrate: a deliberate 120 ms task must be seen, or the long-task figures mean nothing.
  await page.evaluate(() => { const t = performance.now(); while (performance.now() - t < 120); });
  await page.waitForFunction(() => window.__longTasks.some((t) => t.duration >= 100), null, { timeout: 5_000 });
  await page.locator('[data-testid="data-status"][data-state="ready"]').waitFor({ timeout: 180_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.dataset.value, null, { timeout: 300_000 });
  return { context, page };
}

const steps = (page) => page.evaluate(() => Number(document.querySelector('[data-testid="train-state"]').dataset.step));

async function untilSteps(page, n, timeout = 900_000) {
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="train-state"]').dataset.step) >= n, n, { timeout, polling: 50 });
  return performance.now();
}

async function throughput(server, backend, model) {
  const { context, page } = await openApp(server, backend === 'cpu' ? '?backend=cpu' : '');
  try {
    await page.getByTestId('model-select').selectOption(model);
    await page.getByTestId('subset-select').selectOption('10000');
    await page.getByTestId('batch-select').selectOption('64');
    await page.getByTestId('epochs-select').selectOption('1');
    const clicked = performance.now();
    const tasksBefore = await page.evaluate(() => window.__longTasks.length);
    await page.getByTestId('train-start').click();
    const first = await untilSteps(page, 1);
    const warm = 3;
    const t0 = await untilSteps(page, warm);
    const s0 = await steps(page);
    const t1 = await untilSteps(page, s0 + MEASURE_STEPS);
    const s1 = await steps(page);
    const long = await page.evaluate((from) => window.__longTasks.slice(from), tasksBefore);
    await page.getByTestId('train-stop').click();
    return {
      backend, model, batch: 64,
      firstStepSeconds: +((first - clicked) / 1000).toFixed(2),
      imagesPerSecond: +(((s1 - s0) * 64) / ((t1 - t0) / 1000)).toFixed(1),
      longestMainThreadTaskMs: long.reduce((m, t) => Math.max(m, t.duration), 0),
      mainThreadTasksOver50ms: long.length,
    };
  } finally {
    await context.close();
  }
}

async function memory(server, backend, epochs) {
  const { context, page } = await openApp(server, backend === 'cpu' ? '?backend=cpu' : '');
  try {
    await page.getByTestId('model-select').selectOption('baseline-cnn');
    await page.getByTestId('subset-select').selectOption('1000');
    await page.getByTestId('epochs-select').selectOption(String(epochs));
    await page.getByTestId('train-start').click();
    const perEpoch = [];
    for (let e = 1; e <= epochs; e++) {
      await page.waitForFunction((e) => Number(document.querySelector('[data-testid="metric-epoch"]').dataset.value) >= e
        && document.querySelector('[data-testid="epoch-summary"]')?.textContent.includes(`epoch ${e}:`), e, { timeout: 900_000, polling: 100 });
      perEpoch.push(await page.evaluate(() => {
        const m = document.querySelector('[data-testid="engine-memory"]').dataset;
        return { wasmBytes: Number(m.wasmBytes), deviceBytes: Number(m.deviceBytes) || null,
          deviceReserved: Number(m.deviceReserved) || null, pageHeapBytes: performance.memory?.usedJSHeapSize ?? null };
      }));
    }
    return { backend, model: 'baseline-cnn', epochs, perEpoch };
  } finally {
    await context.close();
  }
}

const server = await serveDist();
const results = { throughput: [], memory: [] };
try {
  for (const backend of BACKENDS) {
    for (const model of ['dense', 'baseline-cnn', 'atelier-cnn']) {
      const r = await throughput(server, backend, model);
      console.log(JSON.stringify(r));
      results.throughput.push(r);
    }
  }
  for (const backend of BACKENDS) {
    const r = await memory(server, backend, quick ? 3 : 5);
    console.log(JSON.stringify(r));
    results.memory.push(r);
  }
} finally {
  await server.close();
}
console.table(results.throughput);
await mkdir(ARTIFACTS, { recursive: true });
await writeFile(join(ARTIFACTS, `bench-training${only ? `-${only}` : ''}.json`), JSON.stringify(results, null, 2));

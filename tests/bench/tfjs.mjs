// TensorFlow.js measured beside Atelier in the same run: the same models (Dense 128, Baseline
// CNN), batch, data, browser and adapter, on each of TF.js's backends (webgpu, webgl, wasm, cpu),
// with the loss read after every step as Atelier's figures are. The pinned npm packages
// (package.json) are served to this benchmark page only (tests/bench/tfjs/), never to the app.
import { readFile, writeFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { launch, serveDist, ROOT } from '../e2e/harness.mjs';
import { MODEL_NAMES, round, load, log, TARGETS } from './config.mjs';

export const TFJS_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'];
export const TFJS_MODELS = ['dense', 'baseline-cnn'];
/** Training images handed to the page: 100 batches of 64, cycled. */
const IMAGES = 6_400;
const PACKAGES = {
  '@tensorflow/tfjs': ['tf.min.js'],
  '@tensorflow/tfjs-backend-wasm': ['tf-backend-wasm.min.js', 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'],
  '@tensorflow/tfjs-backend-webgpu': ['tf-backend-webgpu.min.js'],
};

/** The page, TF.js's files and the first IMAGES training images, in a temporary folder. */
export async function prepare() {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-bench-tfjs-'));
  await cp(join(ROOT, 'tests', 'bench', 'tfjs'), dir, { recursive: true });
  for (const [name, files] of Object.entries(PACKAGES)) {
    for (const f of files) await cp(join(ROOT, 'node_modules', name, 'dist', f), join(dir, f));
  }
  const data = process.env.ATELIER_DATA_DIR ?? join(ROOT, 'static', 'data');
  const images = gunzipSync(await readFile(join(data, 'train-images-idx3-ubyte.gz')));
  const labels = gunzipSync(await readFile(join(data, 'train-labels-idx1-ubyte.gz')));
  await writeFile(join(dir, 'images.bin'), images.subarray(16, 16 + IMAGES * 784));
  await writeFile(join(dir, 'labels.bin'), labels.subarray(8, 8 + IMAGES));
  const version = JSON.parse(await readFile(join(ROOT, 'node_modules', '@tensorflow', 'tfjs', 'package.json'), 'utf8')).version;
  return { dir, version };
}

/** Every backend × model, each in a fresh page (one backend's memory never slows the next). */
export async function tfjs(models = TFJS_MODELS) {
  const { dir, version } = await prepare();
  const server = await serveDist(dir);
  // WebGL on a machine without a GPU is SwiftShader too, which Chromium allows only when asked.
  const context = await launch(['--enable-unsafe-swiftshader']);
  const out = { version, cases: [] };
  try {
    for (const backend of TFJS_BACKENDS) {
      for (const model of models) {
        const page = await context.newPage();
        try {
          await page.goto(server.url);
          await page.waitForFunction(() => typeof window.tfjsBench === 'function');
          const loadBefore = load();
          const result = await page.evaluate(([b, m]) => window.tfjsBench(b, m, { windowMs: 10_000, minSteps: 3, maxSteps: 800, budgetMs: 45_000 }), [backend, model]);
          result.imagesPerSecond = round(result.imagesPerSecond, 0);
          result.firstStepMs = round(result.firstStepMs, 0);
          result.load = [loadBefore[0], load()[0]];
          log(`tfjs ${backend} ${model}: ${result.error ?? `${result.imagesPerSecond} images/s over ${result.steps} steps`}`);
          out.cases.push({ ...result, requested: backend });
        } finally {
          await page.close();
        }
      }
    }
  } finally {
    await context.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

/** Atelier's images/s for `model` on `backend`, loss read every step (the training section). */
const atelier = (r, backend, model) =>
  r.training.find((t) => t.backend === backend && t.readback === 1)?.cases.find((c) => c.model === model)?.imagesPerSecond ?? null;
/** How many workers trained `model` on the CPU in the training section, in words. */
const workersOf = (r, model) => {
  const n = r.training.find((t) => t.backend === 'cpu' && t.readback === 1)?.cases.find((c) => c.model === model)?.workers ?? 1;
  return n > 1 ? `${n} workers (one per core)` : 'one worker';
};
const figure = (r, backend, model) => r.tfjs?.cases.find((c) => c.requested === backend && c.model === model && !c.error) ?? null;
/** TF.js's fastest backend for `model` in this run. */
export const tfjsBest = (r, model) =>
  TFJS_BACKENDS.map((b) => figure(r, b, model)).filter(Boolean).reduce((a, c) => (!a || c.imagesPerSecond > a.imagesPerSecond ? c : a), null);

export function tfjsVerdicts(r, check) {
  if (!r.tfjs) return;
  const ratio = (a, b) => (a && b ? round(a / b, 2) : null);
  const dense = tfjsBest(r, 'dense');
  const denseAtelier = Math.max(atelier(r, 'cpu', 'dense') ?? 0, atelier(r, 'webgpu', 'dense') ?? 0) || null;
  const d = ratio(denseAtelier, dense?.imagesPerSecond);
  check(`Dense 128 ≥ ${TARGETS.tfjsDenseRatio}× TensorFlow.js's best backend (same run)`,
    d ? `${d}× (${denseAtelier} vs ${dense.imagesPerSecond} images/s on TF.js ${dense.requested})` : 'not measured',
    d ? d >= TARGETS.tfjsDenseRatio : null);
  const cnn = tfjsBest(r, 'baseline-cnn');
  const c = ratio(atelier(r, 'cpu', 'baseline-cnn'), cnn?.imagesPerSecond);
  check(`Baseline CNN ≥ ${TARGETS.tfjsCnnRatio}× TensorFlow.js's best backend (same run)`,
    c ? `${c}× (${atelier(r, 'cpu', 'baseline-cnn')} vs ${cnn.imagesPerSecond} images/s on TF.js ${cnn.requested})` : 'not measured',
    c ? c >= TARGETS.tfjsCnnRatio : null, `Atelier on the CPU, ${workersOf(r, 'baseline-cnn')}`);
  const gpu = figure(r, 'webgpu', 'baseline-cnn');
  const g = ratio(atelier(r, 'webgpu', 'baseline-cnn'), gpu?.imagesPerSecond);
  check(`Baseline CNN on WebGPU ≥ ${TARGETS.tfjsWebgpuRatio}× TensorFlow.js's WebGPU backend (same adapter)`,
    g ? `${g}× (${atelier(r, 'webgpu', 'baseline-cnn')} vs ${gpu.imagesPerSecond} images/s)` : 'not measured',
    g ? g >= TARGETS.tfjsWebgpuRatio : null);
}

export function tfjsTable(r, table, num) {
  if (!r.tfjs) return null;
  const cell = (b, m) => {
    const f = r.tfjs.cases.find((c) => c.requested === b && c.model === m);
    if (!f) return '–';
    const missing = f.error?.match(/Kernel '(\w+)' not registered/);
    if (missing) return `cannot train it (no ${missing[1]} kernel)`;
    return f.error ? `fails (${f.error.slice(0, 60)})` : `${num(f.imagesPerSecond)}${f.steps < 10 ? ` (${f.steps} steps)` : ''}`;
  };
  const rows = TFJS_MODELS.filter((m) => r.tfjs.cases.some((c) => c.model === m)).map((m) => {
    const best = tfjsBest(r, m);
    const a = [atelier(r, 'cpu', m), atelier(r, 'webgpu', m)];
    const top = Math.max(...a.filter((x) => x != null));
    return [MODEL_NAMES[m], ...TFJS_BACKENDS.map((b) => cell(b, m)), num(a[0]), num(a[1]),
      best && Number.isFinite(top) ? `${num(top / best.imagesPerSecond, 1)}× (vs TF.js ${best.requested})` : '–'];
  });
  return `**TensorFlow.js ${r.tfjs.version} beside Atelier**, images/s at batch 64, loss read every step, same browser, data and adapter (TF.js: 3 warm-up steps, then ≥ 10 s or 800 steps; wasm without cross-origin isolation, so one thread like Atelier's CPU path):\n\n` +
    table(['model', 'TF.js webgpu', 'TF.js webgl', 'TF.js wasm', 'TF.js cpu', 'Atelier CPU', 'Atelier WebGPU', 'Atelier best ÷ TF.js best'], rows);
}

// Options, constants and the targets of the benchmark (see run.mjs).
import { loadavg } from 'node:os';

export const argv = process.argv.slice(2);
export const flag = (name) => argv.includes(name);
export const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : null);
export const QUICK = flag('--quick');
export const FULL_EPOCH = flag('--full-epoch');
export const GAP_MONITOR = !flag('--no-gap-monitor'); // the page's rAF / ping loops (browser.mjs)
export const ONLY = option('--only');
if (ONLY && !['cpu', 'webgpu'].includes(ONLY)) throw new Error('--only takes cpu or webgpu');
export const ALL_SECTIONS = ['bundle', 'load', 'race', 'latency', 'pause', 'inference', 'training', 'cores', 'accuracy', 'tfjs', 'memory', 'epoch', 'native'];
export const SECTIONS = new Set(option('--sections')?.split(',') ?? ALL_SECTIONS.filter((s) => s !== 'native'));
if (flag('--native')) SECTIONS.add('native');
for (const s of SECTIONS) if (!ALL_SECTIONS.includes(s)) throw new Error(`unknown section ${s}`);
export const BACKENDS = ['webgpu', 'cpu'].filter((b) => !ONLY || b === ONLY);
export const MODELS = QUICK ? ['dense'] : ['dense', 'baseline-cnn', 'atelier-cnn'];
export const MODEL_NAMES = { dense: 'Dense 128', 'baseline-cnn': 'Baseline CNN', 'atelier-cnn': 'Atelier CNN' };
export const READBACKS = [1, 10];
// The scaling table's worker counts (CPU, data parallel; this machine has 2 cores).
export const CORE_COUNTS = [1, 2];
export const BATCH = 64;
// Throughput is measured between these reported steps (multiples of 10, which `?readback=10`
// reports too), after the first steps' shader compilation and allocation.
export const WARM_STEP = 10;
export const END_STEP = QUICK ? 20 : 30;
// …and over at least this long (the CPU trains Dense at ~80 steps/s).
export const MIN_WINDOW_MS = QUICK ? 3_000 : 10_000;
export const LOAD_SAMPLES = QUICK ? 1 : 3;
export const LATENCY_SAMPLES = QUICK ? 8 : 25;
// Classification while the Atelier CNN trains: more samples (25 could not tell two builds
// apart on this machine; 80 did, tests/bench/drawing-ab.mjs), but stop after this long (on
// SwiftShader one answer takes a second or more while the GPU trains).
export const LATENCY_TRAINING_SAMPLES = QUICK ? 8 : 80;
export const LATENCY_BUDGET_MS = QUICK ? 60_000 : 180_000;
// The backend race: each model at batch BATCH, on the default page (no ?backend=).
export const RACE_MODELS = QUICK ? ['dense'] : ['dense', 'baseline-cnn', 'atelier-cnn'];
export const RACE_TIMEOUT_MS = 60_000; // select → badge shows the decision
// The second visit reuses the last profile, whose model's race was completed there.
export const CACHED_MODEL = RACE_MODELS[RACE_MODELS.length - 1];
export const PAUSE_REPEATS = 3;
export const DEFAULT_MODEL = 'baseline-cnn'; // what the page opens with (`RunSettings::default`)
export const RESPONSIVE_MODEL = 'atelier-cnn'; // trained while classification and Pause are measured
export const MEMORY_MODEL = QUICK ? 'dense' : 'baseline-cnn';
export const MEMORY_EPOCHS = Number(option('--memory-epochs') ?? 3);
// The training section clicks each Start this long after the page is ready or the previous run
// stopped (0: at once, as a user in a hurry would, while a new page's backend race and the
// engine's compilation still hold the cores).
export const START_AFTER_MS = Number(option('--start-after') ?? 0);
export const SLICE_IMAGES = 1000; // the page's smallest subset: 16 steps of 64
export const FULL_IMAGES = 55_000; // 60,000 minus 5,000 validation
export const EVAL_IMAGES = 15_000; // what every epoch evaluates: 5,000 validation + 10,000 test
export const MINUTE = 60_000;

export const TARGETS = {
  readbackCost: 20, // % of throughput lost by reading the loss every step (WebGPU)
  longTaskMs: 50, // no main-thread task longer, while training
  latencyMedianMs: 10, // single-image classification, WebGPU (issue #7)
  classifyMedianMs: 20, // single-image classification, idle and while training, each backend
  classifyP95Ms: 50,
  raceMs: 3000, // the backend race's wall time, per model
  pausePendingMs: 100, // Pause click → the page shows it (pending or paused)
  galleryCachedMs: 1000, // navigation → first gallery image, data cached
  memoryGrowth: 5, // % from epoch 1 to epoch 3
  uiWasmGzipBytes: 1_000_000,
  tfjsDenseRatio: 2, // Atelier's Dense 128 ÷ TF.js's best backend, same run (issue #13)
  tfjsCnnRatio: 15, // Baseline CNN on Atelier's CPU path ÷ TF.js's best backend
  tfjsWebgpuRatio: 3, // Baseline CNN, Atelier WebGPU ÷ TF.js WebGPU, same adapter
  secondsTo90: 60, // Start click → 90 % test accuracy shown, the default run (issue #13)
  coreScaling: 1.5, // Atelier CNN on the CPU, 2 workers ÷ 1 worker (2-core machine)
};

// ---------------------------------------------------------------------------------------------
// Helpers

export const load = () => loadavg().map((l) => +l.toFixed(2));
export const round = (x, digits = 1) => (x == null || !Number.isFinite(x) ? null : +x.toFixed(digits));
export const median = (xs) => percentile(xs, 0.5);
export function percentile(values, q) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
export const log = (...parts) => console.error(`[bench ${new Date().toISOString().slice(11, 19)} load ${load()[0]}]`, ...parts);

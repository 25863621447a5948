// Measures Atelier in headless Chromium, checks the figures against the targets of issue #7,
// prints Markdown tables and writes tests/artifacts/bench.json.
//
//   trunk build --release && node tests/bench/run.mjs [options]
//
//   --quick         smoke run (a few minutes): Dense only, short windows, fewer samples
//   --memory-epochs N  epochs of the memory section (default 3; the target is epoch 1 → 3)
//   --full-epoch    also train one whole epoch (55,000 images) of the Atelier CNN on WebGPU
//                   (about an hour on SwiftShader); by default a 1,000-image slice is measured
//                   and the epoch extrapolated, labelled as such
//   --only cpu|webgpu           one backend (the race still runs; load skips the default page)
//   --sections a,b,...          any of bundle,load,race,latency,pause,inference,training,cores,
//                               tfjs,memory,epoch,native (default: all but native)
//                   accuracy: wall seconds from Start to each epoch's test accuracy, the default
//                   run and each model on all images (time to 90 %)
//                   cores: each model on the CPU with 1 and 2 workers forced (?workers=N), the
//                   data-parallel scaling table
//                   tfjs: TensorFlow.js (the pinned npm packages) training the same models on
//                   its webgpu, webgl, wasm and cpu backends, beside Atelier's training figures
//                   race: the default page (no ?backend=) racing the backends for each model;
//                   latency: classification idle and while the Atelier CNN trains, each backend;
//                   pause: Pause click → the page showing it, and → paused (same session as
//                   latency when both are asked for). --quick: the race for Dense only, latency
//                   and pause on the CPU only.
//   --native        also run `cargo bench --features engine --bench engine` and fold criterion's
//                   figures into the report (same as adding `native` to --sections)
//   --start-after MS  the training section clicks each Start MS after the page is ready or the
//                   previous run stopped (default 0: at once, while a new page's backend race
//                   and the engine's compilation still run)
//   --no-gap-monitor  without the page's rAF and 10 ms ping loops that measure main-thread gaps
//                   below 50 ms (to check they cost the other figures nothing)
//   --report A.json[,B.json] [--write OUT.json]
//                   print the tables and verdicts of saved runs again, merged (measures nothing)
//
// The app is copied out of dist/ first, so a rebuild during the run cannot mix two versions.
//
// Modules: config.mjs (options, targets), browser.mjs (server, Chromium, page instrumentation),
// sections.mjs (the measurements), tfjs.mjs (TensorFlow.js beside Atelier), race.mjs (the backend race), responsiveness.mjs (latency
// while training, Pause, the main thread), report.mjs (tables and verdicts).
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus, totalmem, release } from 'node:os';
import { ARTIFACTS } from '../e2e/harness.mjs';
import { option, CORE_COUNTS, QUICK, FULL_EPOCH, GAP_MONITOR, START_AFTER_MS, ONLY, SECTIONS, BACKENDS, READBACKS, WARM_STEP, END_STEP, MIN_WINDOW_MS, LOAD_SAMPLES, load, round, log } from './config.mjs';
import { snapshotDist, serve, machine } from './browser.mjs';
import { bundle, loadAndLatency, training, inference, memory, epoch, native } from './sections.mjs';
import { tfjs } from './tfjs.mjs';
import { accuracy } from './accuracy.mjs';
import { race } from './race.mjs';
import { responsiveness } from './responsiveness.mjs';
import { verdicts, report } from './report.mjs';

// `--report A.json[,B.json…] [--write OUT.json]`: the tables and verdicts again from saved runs,
// measuring nothing; several partial runs (e.g. reruns on a quieter machine) are merged, a later
// file's sections replacing an earlier one's.
if (option('--report')) {
  const runs = await Promise.all(option('--report').split(',').map(async (f) => JSON.parse(await readFile(f, 'utf8'))));
  const merged = { ...runs[0], runs: runs.map((r) => ({ date: r.date, sections: r.sections, loadStart: r.loadStart, loadEnd: r.loadEnd })) };
  for (const r of runs.slice(1)) {
    for (const key of ['bundle', 'native', 'race', 'tfjs']) if (r[key]) merged[key] = r[key];
    if (r.cores?.length) merged.cores = r.cores;
    if (r.accuracy?.length) merged.accuracy = r.accuracy;
    // Per backend (and readback): a rerun of one backend keeps the other's figures.
    const same = (a, b) => a.backend === b.backend && a.readback === b.readback;
    for (const key of ['load', 'inference', 'training', 'memory', 'epoch', 'responsiveness']) {
      if (!r[key]?.length) continue;
      merged[key] = [...(merged[key] ?? []).filter((a) => !r[key].some((b) => same(a, b))), ...r[key]]
        .sort((a, b) => (a.backend === 'cpu') - (b.backend === 'cpu'));
    }
    if (r.machine?.browser) merged.machine = r.machine;
  }
  merged.loadStart = runs.map((r) => r.loadStart).reduce((a, b) => (b[0] > a[0] ? b : a));
  merged.loadEnd = runs.map((r) => r.loadEnd).reduce((a, b) => (b[0] > a[0] ? b : a));
  merged.targets = verdicts(merged);
  merged.markdown = report(merged);
  console.log(merged.markdown);
  if (option('--write')) await writeFile(option('--write'), JSON.stringify(merged, null, 2));
  process.exit(0);
}

const startedAt = new Date();
const results = {
  date: startedAt.toISOString(), quick: QUICK, fullEpoch: FULL_EPOCH, gapMonitor: GAP_MONITOR, startAfterMs: START_AFTER_MS, sections: [...SECTIONS], loadStart: load(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGiB: totalmem() / 2 ** 30, kernel: release(), browser: null, adapter: null },
  window: { warmStep: WARM_STEP, endStep: END_STEP, minWindowMs: MIN_WINDOW_MS },
  bundle: null, load: [], race: null, responsiveness: [], inference: [], training: [], cores: [], accuracy: null, tfjs: null, memory: [], epoch: [], native: null,
};
// bench.json for a complete run; a partial one (--only, --quick, --sections) gets its own name.
const partial = option('--sections') ? `-${[...SECTIONS].join('-')}` : '';
const out = join(ARTIFACTS, `bench${ONLY ? `-${ONLY}` : ''}${QUICK ? '-quick' : ''}${partial}${START_AFTER_MS ? `-start-after-${START_AFTER_MS}` : ''}.json`);
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
  if (SECTIONS.has('load')) {
    // The default page (null: no ?backend=, so the engine races the backends) in LOAD_SAMPLES
    // fresh profiles, then each backend forced once. Classification latency has its own
    // section now (idle and while training, below).
    for (const backend of [...(ONLY ? [] : [null]), ...BACKENDS]) {
      const samples = backend === null ? LOAD_SAMPLES : 1;
      await measure(`load ${backend ?? 'default'}`, async () => { results.load.push(await loadAndLatency(server, backend, samples, false)); });
    }
  }
  if (SECTIONS.has('race')) await measure('race', async () => { results.race = {}; await race(server, results.race); });
  if (SECTIONS.has('latency') || SECTIONS.has('pause')) {
    for (const backend of BACKENDS) {
      if (QUICK && backend === 'webgpu') { log('--quick: latency and pause on the CPU only'); continue; } // minutes of Atelier CNN steps on SwiftShader
      const into = {};
      results.responsiveness.push(into);
      await measure(`responsiveness ${backend}`, () => responsiveness(server, backend, { withLatency: SECTIONS.has('latency'), withPause: SECTIONS.has('pause') }, into));
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
  // Every core: each model on the CPU with 1, 2, … workers forced (?workers=N), for the scaling table.
  if (SECTIONS.has('cores')) {
    for (const workers of CORE_COUNTS) {
      await measure(`cores ${workers}`, async () => { results.cores.push(await training(server, 'cpu', 1, { workers })); });
    }
  }
  if (SECTIONS.has('accuracy')) await measure('accuracy', async () => { results.accuracy = await accuracy(server); });
  // TensorFlow.js right after Atelier's training figures, on the same machine state.
  if (SECTIONS.has('tfjs')) await measure('tfjs', async () => { results.tfjs = await tfjs(QUICK ? ['dense'] : undefined); });
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

// Markdown tables and the verdict on each target, from a run's figures (live or saved).
import { MODEL_NAMES, BATCH, WARM_STEP, END_STEP, MIN_WINDOW_MS, EVAL_IMAGES, TARGETS, round, median } from './config.mjs';
import { mainThreadVerdict, raceVerdicts, latencyVerdict, pauseVerdict, raceTable, latencyTables, mainThreadTable } from './report-responsiveness.mjs';
import { tfjsVerdicts, tfjsTable } from './tfjs.mjs';
import { accuracyVerdict, accuracyTable } from './accuracy.mjs';

export const NA = 'not available';
export const kb = (bytes) => (bytes == null ? '–' : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(0)} kB`);
export const num = (x, digits = 0) => (x == null ? '–' : Number(x).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
export const ms = (x) => (x == null ? '–' : `${num(x)} ms`);
export const pct = (x) => (x == null ? '–' : `${x > 0 ? '+' : ''}${num(x, 1)} %`);
export const loadText = (l) => (l ? `load ${l[0]}` : '');
export const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** The models measured for training throughput, in the usual order. */
export const modelsOf = (r) => Object.keys(MODEL_NAMES).filter((m) => r.training.some((t) => t.cases.some((c) => c.model === m)));

/** Images/s of `model` with `workers` workers forced (the cores section). */
const withWorkers = (r, workers, model) => r.cores?.find((t) => t.workers === workers)?.cases.find((c) => c.model === model)?.imagesPerSecond ?? null;

function coresVerdict(r, check) {
  if (!r.cores?.length) return;
  const [one, two] = [withWorkers(r, 1, 'atelier-cnn'), withWorkers(r, 2, 'atelier-cnn')];
  const x = one && two ? round(two / one, 2) : null;
  check(`Atelier CNN on the CPU, 2 workers ≥ ${TARGETS.coreScaling}× one worker (batch ${BATCH}, this machine)`,
    x ? `${x}× (${num(two)} vs ${num(one)} images/s)` : 'not measured', x ? x >= TARGETS.coreScaling : null);
}

function coresTable(r) {
  if (!r.cores?.length) return null;
  const counts = r.cores.map((t) => t.workers).sort((a, b) => a - b);
  const models = Object.keys(MODEL_NAMES).filter((m) => r.cores.some((t) => t.cases.some((c) => c.model === m)));
  const rows = models.map((m) => {
    const figures = counts.map((n) => withWorkers(r, n, m));
    const speedUps = figures.slice(1).map((f) => (f && figures[0] ? `${num(f / figures[0], 2)}×` : '–'));
    return [MODEL_NAMES[m], ...figures.map((f) => num(f)), ...speedUps];
  });
  return `**Every core** (data-parallel CPU training, \`?workers=N\`): images/s at batch ${BATCH}, loss read every step:\n\n` +
    table(['model', ...counts.map((n) => `${n} worker${n > 1 ? 's' : ''}`), ...counts.slice(1).map((n) => `${n} ÷ 1`)], rows);
}

export function verdicts(r) {
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

  tfjsVerdicts(r, check);
  coresVerdict(r, check);
  accuracyVerdict(r, check);
  mainThreadVerdict(r, check);

  raceVerdicts(r, check);
  latencyVerdict(r, check);
  pauseVerdict(r, check);

  const lat = (r.responsiveness ?? []).find((x) => x.backend === 'webgpu' && x.idle)?.idle ?? r.load.find((l) => l.backend === 'webgpu')?.latency;
  check(`single-image classification < ${TARGETS.latencyMedianMs} ms median on WebGPU (idle)`,
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

export function report(r) {
  const parts = [];
  const adapter = r.machine.adapter ? `${r.machine.adapter.vendor} ${r.machine.adapter.architecture} ${r.machine.adapter.description}`.trim() : 'none';
  parts.push(`Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${num(r.machine.memoryGiB)} GiB` +
    `${r.machine.browser ? `; ${r.machine.browser}; WebGPU adapter: ${adapter}` : ''}; ` +
    (r.runs?.length > 1 ? `merged from ${r.runs.length} runs (${r.runs.map((x) => `${x.date.slice(0, 16)}Z: ${x.sections.join(', ')}`).join('; ')}); highest load average at start ${r.loadStart.join(' / ')}`
      : `load average at start ${r.loadStart.join(' / ')}, at end ${r.loadEnd.join(' / ')}`) + `${r.quick ? '; --quick' : ''}.`);

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

  const toAccuracy = accuracyTable(r, table, num);
  if (toAccuracy) parts.push(toAccuracy);
  const scaling = coresTable(r);
  if (scaling) parts.push(scaling);
  const beside = tfjsTable(r, table, num);
  if (beside) parts.push(beside);

  if (r.load.length) {
    const rows = [];
    for (const l of r.load) {
      for (const kind of ['cold', 'cached', 'returning']) {
        const xs = l[kind] ?? [];
        if (!xs.length) continue;
        const m = (key) => { const v = xs.map((x) => x[key]).filter((x) => x != null); return v.length ? `${ms(median(v))}${v.length > 1 ? ` (${num(Math.min(...v))}–${num(Math.max(...v))})` : ''}` : '–'; };
        // Saved runs before the race have no `query`: their default page was WebGPU.
        const page = l.query === undefined ? (l.backend === 'cpu' ? '`?backend=cpu`' : 'default (WebGPU)') : l.query ? `\`${l.query}\`` : 'default (races the backends)';
        const chosen = [...new Set(xs.map((x) => (x.choice ? `${x.choice}: ${x.decidedBackend}` : null)).filter(Boolean))].join(', ');
        rows.push([`${page}, ${kind}`, m('firstGalleryImageMs'), m('dataReadyMs'), m('engineReadyMs'), `${m('decidedMs')}${chosen ? ` (${chosen})` : ''}`, m('pretrainedReadyMs'),
          kb(median(xs.map((x) => x.jsHeapBytes))), loadText(l.load)]);
      }
    }
    parts.push(`**Page**, from navigation (median of ${Math.max(...r.load.map((l) => l.cold.length))} fresh profiles where more than one, and range):\n\n` + table(
      ['page', 'first gallery image', 'all 70,000 images parsed', 'engine ready (backend badge)', 'backend decided', 'pre-trained model ready', 'page JS heap', 'load'], rows));
    const lat = r.load.filter((l) => l.latency);
    if (lat.length) {
      parts.push('**Single-image classification**, input event → probabilities on the page (with saliency):\n\n' + table(
        ['backend', 'median', 'p95', 'samples', 'load'],
        lat.map((l) => [l.latency.answeredOn ?? l.backend, `${num(l.latency.medianMs, 1)} ms`, `${num(l.latency.p95Ms, 1)} ms`, l.latency.samples.length, loadText(l.load)])));
    }
  }

  if (r.race?.models?.length || r.race?.cached) parts.push(raceTable(r));
  parts.push(...latencyTables(r));

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
      : `${m.perEpoch.map((p) => kb(p[key])).join(' → ')} (${pct(m.growthPercent[key])}${m.laterGrowthPercent ? `; from epoch 2: ${pct(m.laterGrowthPercent[key])}` : ''})`);
    const rows = r.memory.map((m) => [`${m.backend === 'cpu' ? 'CPU' : 'WebGPU'}, ${MODEL_NAMES[m.model]}`, series(m, 'wasmBytes'),
      series(m, 'deviceBytes'), series(m, 'deviceReserved'), series(m, 'jsHeapBytes'),
      m.longestMainThreadTaskMs ? ms(m.longestMainThreadTaskMs)
        : `none ≥ 50 ms${m.mainThread?.largestPingDelayMs != null ? ` (largest gap ${ms(m.mainThread.largestPingDelayMs)})` : ''}`, loadText(m.load)]);
    const m0 = r.memory[0];
    parts.push(`**Memory**, ${num(m0.trainImages)} training images per epoch (+ 15,000 evaluated), after epoch ${m0.perEpoch.map((p) => p.epoch).join(' → ')} ` +
      '(growth from epoch 1 to epoch 3; page JS heap after a forced GC):\n\n' + table(['backend, model', 'engine wasm memory', 'GPU bytes in use', 'GPU pool reserved', 'page JS heap', 'longest main-thread task', 'load'], rows));
  }

  const mainThread = mainThreadTable(r);
  if (mainThread) parts.push(mainThread);

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
      ['benchmark', 'median', '95 % interval', 'throughput'],
      r.native.figures.map((f) => {
        const time = (us) => (us >= 1000 ? `${num(us / 1000, us >= 10_000 ? 1 : 2)} ms` : `${num(us, 1)} µs`);
        const rate = !f.perSecond ? '–' : f.id.startsWith('preprocess/') ? `${num(f.perSecond / 1e6)} Mpixel/s` : `${num(f.perSecond)} images/s`;
        return [f.id, time(f.medianMicros), `${time(f.lowMicros)}–${time(f.highMicros)}`, rate];
      })));
  }

  parts.push('**Targets**:\n\n' + table(['target', 'measured', 'status'], r.targets.map((t) => [t.target, t.measured + (t.note ? ` — ${t.note}` : ''), t.status])));
  return parts.join('\n\n');
}

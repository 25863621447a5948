// Drawings answered while the Atelier CNN trains on the CPU path in two workers, two builds
// interleaved (A, B, A, B, …): classification latency over many strokes (the benchmark's latency
// section takes 25, too few to tell builds apart on this noisy machine), the images/s label
// meanwhile (how many workers trained) and the steps trained during the strokes (a run on the
// CPU holds its steps while the user draws since 2026-12-04).
//
//   node tests/bench/drawing-ab.mjs DIST_A DIST_B [--pairs 3] [--samples 80]
//
// Each DIST is a `trunk build --release` output folder (e.g. `--dist /tmp/dist-old` of another
// commit). Prints one JSON line per run, then the means per build.
import { serve, browser, open, waitReady, configure, start, stopAndSettle } from './browser.mjs';
import { latency } from './responsiveness.mjs';
import { RESPONSIVE_MODEL, argv, option, log } from './config.mjs';

const dists = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
if (dists.length !== 2) throw new Error('usage: node tests/bench/drawing-ab.mjs DIST_A DIST_B [--pairs N] [--samples N]');
const PAIRS = Number(option('--pairs') ?? 3);
const SAMPLES = Number(option('--samples') ?? 80);

const step = (page) => page.evaluate(() => Number(document.querySelector('[data-testid="train-state"]')?.dataset.step));
const label = (page) => page.evaluate(() => document.querySelector('[data-testid="metric-throughput"] .metric-label')?.innerText);

/** One fresh profile on `dist`: latency idle, then while the Atelier CNN trains on all images. */
async function measure(dist) {
  const server = await serve(dist);
  const context = await browser();
  try {
    const page = await open(context, server.url, '?backend=cpu&classify=cpu');
    await waitReady(page, true);
    const idle = await latency(page, 'cpu', { samples: 30, what: 'idle' });
    await configure(page, { model: RESPONSIVE_MODEL, subset: 'all', epochs: 1 });
    await start(page);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-state"]')?.dataset.step) >= 2,
      null, { timeout: 120_000 });
    const from = await step(page);
    const training = await latency(page, 'cpu', { samples: SAMPLES, what: 'while training' });
    const result = {
      dist, idle: [idle.medianMs, idle.p95Ms], training: [training.medianMs, training.p95Ms],
      labelWhileDrawing: await label(page), stepsDuring: (await step(page)) - from,
    };
    await stopAndSettle(page).catch((e) => log(`stopping: ${e.message.split('\n')[0]}`));
    return result;
  } finally {
    await context.close();
    await server.close();
  }
}

const runs = [];
for (let pair = 0; pair < PAIRS; pair++) {
  for (const dist of dists) {
    const result = await measure(dist);
    console.log(JSON.stringify(result));
    runs.push(result);
  }
}
const mean = (values) => Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
for (const dist of dists) {
  const mine = runs.filter((r) => r.dist === dist);
  console.log(`${dist}: while training, median ${mean(mine.map((r) => r.training[0]))} ms, p95 ${mean(mine.map((r) => r.training[1]))} ms `
    + `(means of ${mine.length} runs of ${SAMPLES} strokes); idle median ${mean(mine.map((r) => r.idle[0]))} ms; `
    + `steps during the strokes ${mean(mine.map((r) => r.stepsDuring))}`);
}

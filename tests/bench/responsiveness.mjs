// Responsiveness: single-image classification idle and while the Atelier CNN trains (answers
// come from their own worker, so they should not queue behind training steps), Pause → the page
// showing it, and how long the main thread was held while training — long tasks, long animation
// frames with their scripts, and below 50 ms (where neither reports) the largest gap between
// animation frames and the largest delay of a 10 ms message-channel ping (browser.mjs).
import { stroke } from '../e2e/harness.mjs';
import { BATCH, DEFAULT_MODEL, LATENCY_SAMPLES, LATENCY_TRAINING_SAMPLES, LATENCY_BUDGET_MS, PAUSE_REPEATS, RESPONSIVE_MODEL, MINUTE, load, round, median, percentile, log } from './config.mjs';
import { browser, open, bench, pageNow, waitReady, calibrateLongTasks, querySuffix, configure, start, stopAndSettle, longTasksIn, counted, longest, fail } from './browser.mjs';

const TIMEOUT = 'TimeoutError';

/** Input → probabilities on the page (`data-latency-ms` of `prediction`, `data-seq` growing with
 * every answer), over small strokes with real pointer events, as tests/e2e/classify.test.mjs
 * measures it. Stops early (at least 5 samples) once `budgetMs` is spent. */
export async function latency(page, backend, { samples: count = LATENCY_SAMPLES, budgetMs = Infinity, what = '' } = {}) {
  const prediction = page.getByTestId('prediction');
  const seq = async () => Number(await prediction.getAttribute('data-seq'));
  const next = async (after) => {
    try {
      await page.waitForFunction((after) => Number(document.querySelector('[data-testid="prediction"]')?.dataset.seq) > after,
        after, { timeout: 2 * MINUTE, polling: 20 });
    } catch (e) {
      if (e.name !== TIMEOUT) throw e;
      throw new Error(`classification on ${backend}${what ? ` (${what})` : ''}: no answer within 2 min of a stroke (prediction data-seq stays ${await seq()})`);
    }
    return { latency: Number(await prediction.getAttribute('data-latency-ms')), backend: await prediction.getAttribute('data-backend') };
  };
  // A first stroke (the first answer may load the model), not counted.
  let before = await seq();
  await stroke(page, [[0.35, 0.15], [0.65, 0.15]]);
  await next(before);
  const samples = [];
  const answeredOn = new Set();
  const began = Date.now();
  for (let i = 0; i < count; i++) {
    if (i >= 5 && Date.now() - began > budgetMs) break;
    before = await seq();
    const x = 0.2 + (i % 5) * 0.15;
    await stroke(page, [[x, 0.9], [x + 0.02, 0.92]]);
    const answer = await next(before);
    answeredOn.add(answer.backend);
    samples.push(answer.latency);
    await page.waitForTimeout(50);
  }
  const figures = { medianMs: median(samples), p95Ms: percentile(samples, 0.95), maxMs: Math.max(...samples), samples,
    answeredOn: [...answeredOn].join(',') || null, truncated: samples.length < count };
  log(`latency ${backend}${what ? ` ${what}` : ''}`, JSON.stringify({ median: figures.medianMs, p95: figures.p95Ms, n: samples.length, on: figures.answeredOn }));
  return figures;
}

/** `app` if one of the scripts is Atelier's, `harness` if all are the benchmark's own polling
 * (no source), else `unattributed` (as `longTasksIn` in browser.mjs). */
const kindOf = (scripts) => (scripts.some((x) => x.source.includes('atelier')) ? 'app'
  : scripts.length && scripts.every((x) => !x.source) ? 'harness' : 'unattributed');

/** The main thread between `from` and `to` (page clock): long animation frames (≥ 50 ms; the
 * benchmark's own polling left out) with the worst one's scripts, and the largest rAF gap and
 * ping delay (kept per second by the page, so to the second). `exclude`: [from, to] windows of
 * the benchmark's own work (a forced GC). */
export function mainThread(b, from, to, exclude = []) {
  const outside = (s, e) => !exclude.some(([a, z]) => e >= a && s <= z);
  const frames = (b.frames ?? []).filter((f) => f.start >= from && f.start <= to && outside(f.start, f.start + f.duration))
    .map((f) => ({ ...f, kind: kindOf(f.scripts) }));
  const seen = frames.filter((f) => f.kind !== 'harness');
  const worst = seen.reduce((w, f) => (!w || f.duration > w.duration ? f : w), null);
  const gap = (buckets) => {
    if (!buckets) return null;
    let m = null;
    for (const [k, v] of Object.entries(buckets)) {
      const s = Number(k) * 1000;
      if (s + 1000 >= from && s <= to && outside(s, s + 1000)) m = Math.max(m ?? 0, v);
    }
    return round(m);
  };
  return {
    loafSupported: b.loaf ?? null,
    framesOver50ms: seen.length,
    blockingFrames: seen.filter((f) => f.blocking > 0).length,
    harnessFrames: frames.length - seen.length,
    longestFrame: worst && {
      start: round(worst.start), duration: round(worst.duration), blocking: round(worst.blocking), kind: worst.kind,
      scripts: [...worst.scripts].sort((a, z) => z.ms - a.ms).slice(0, 5)
        .map((x) => ({ invoker: x.invoker, invokerType: x.invokerType, sourceURL: x.url ?? x.source, function: x.fn ?? '', ms: x.ms, forcedLayoutMs: x.forcedLayoutMs })),
    },
    largestRafGapMs: gap(b.rafGaps),
    largestPingDelayMs: gap(b.pingDelays),
  };
}

/** The `train-state` element's attributes, for error messages. */
const stateText = (page) => page.evaluate(() => {
  const s = document.querySelector('[data-testid="train-state"]');
  return s ? `data-state=${s.dataset.state} data-step=${s.dataset.step} data-pending=${s.dataset.pending ?? '(none)'} "${s.textContent}"` : 'no train-state element';
});

/** Waits until the run is `running` with `data-step` > `after`. */
async function waitRunning(page, after, what, timeout = 10 * MINUTE) {
  try {
    await page.waitForFunction((after) => {
      const s = document.querySelector('[data-testid="train-state"]');
      return s.dataset.state === 'error' || (s.dataset.state === 'running' && Number(s.dataset.step) > after);
    }, after, { timeout, polling: 100 });
  } catch (e) {
    if (e.name !== TIMEOUT) throw e;
    throw new Error(`${what}: training did not reach step ${after + 1} within ${timeout / 1000} s (${await stateText(page)})`);
  }
  if ((await page.getByTestId('train-state').getAttribute('data-state')) === 'error') await fail(page, what);
}

/** Clicks `train-pause` from inside the page and times, on the page clock from the click, the
 * `train-state` element first showing the request (`data-pending` = `pending`, or already
 * `data-state` = `state`) — by a MutationObserver, and the first animation frame after it — and
 * the engine confirming it (`data-state` = `state`). */
async function clickAndWatch(page, { pending, state }, what, timeoutMs = 3 * MINUTE) {
  const r = await page.evaluate(({ pending, state, timeoutMs }) => new Promise((resolve) => {
    const q = () => document.querySelector('[data-testid="train-state"]');
    const button = document.querySelector('[data-testid="train-pause"]');
    if (!button || button.disabled) {
      resolve({ error: `train-pause is ${button ? 'disabled' : 'missing'} (train-state data-state=${q()?.dataset.state})` });
      return;
    }
    const r = { shownMs: null, shownBy: null, shownFrameMs: null, confirmedMs: null, stepAtClick: Number(q()?.dataset.step), stepAtConfirmed: null, buttonBefore: button.textContent };
    let t0 = 0;
    let raf = 0;
    const look = () => {
      const el = q();
      if (!el) return;
      const now = performance.now() - t0;
      if (r.shownMs === null && (el.dataset.pending === pending || el.dataset.state === state)) {
        r.shownMs = now;
        r.shownBy = el.dataset.pending === pending ? 'data-pending' : 'data-state';
      }
      if (r.confirmedMs === null && el.dataset.state === state) { r.confirmedMs = now; r.stepAtConfirmed = Number(el.dataset.step); }
    };
    const observer = new MutationObserver(look);
    const finish = (timedOut) => {
      observer.disconnect();
      cancelAnimationFrame(raf);
      clearTimeout(timer);
      const el = q();
      resolve({ ...r, timedOut, after: el ? `data-state=${el.dataset.state} data-step=${el.dataset.step} data-pending=${el.dataset.pending ?? '(none)'} "${el.textContent}"` : null });
    };
    const frame = () => {
      look();
      if (r.shownMs !== null && r.shownFrameMs === null) r.shownFrameMs = performance.now() - t0;
      if (r.confirmedMs !== null && r.shownFrameMs !== null) return finish(false);
      raf = requestAnimationFrame(frame);
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    observer.observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-pending', 'data-state'] });
    raf = requestAnimationFrame(frame);
    t0 = performance.now();
    button.click();
    look();
  }), { pending, state, timeoutMs });
  if (r.error) throw new Error(`${what}: ${r.error}`);
  if (r.timedOut) {
    throw new Error(`${what}: data-state never became ${state} within ${timeoutMs / 1000} s of the click` +
      `${r.shownMs === null ? ` (and no data-pending=${pending} either)` : ` (data-pending shown after ${round(r.shownMs)} ms)`}; now ${r.after}`);
  }
  for (const k of ['shownMs', 'shownFrameMs', 'confirmedMs']) r[k] = round(r[k]);
  return r;
}

/** Pause, wait, Resume, `PAUSE_REPEATS` times, on a running run. */
async function pauses(page, backend) {
  const repeats = [];
  for (let i = 1; i <= PAUSE_REPEATS; i++) {
    const pause = await clickAndWatch(page, { pending: 'pause', state: 'paused' }, `Pause #${i} on ${backend}`);
    await page.waitForTimeout(500);
    const resume = await clickAndWatch(page, { pending: 'resume', state: 'running' }, `Resume #${i} on ${backend}`);
    log(`pause ${backend} #${i}`, JSON.stringify({ shown: pause.shownMs, by: pause.shownBy, paused: pause.confirmedMs, resumed: resume.confirmedMs }));
    repeats.push({ pause, resume });
    // A step after the Resume, so the next Pause meets a training loop again.
    if (i < PAUSE_REPEATS) await waitRunning(page, Number(await page.getByTestId('train-state').getAttribute('data-step')), `after Resume #${i} on ${backend}`);
  }
  const of = (key, pick = (x) => x.pause) => repeats.map((x) => pick(x)[key]).filter((v) => v != null);
  return {
    repeats,
    shownMedianMs: median(of('shownMs')), shownMaxMs: Math.max(...of('shownMs')),
    shownFrameMedianMs: median(of('shownFrameMs')), shownBy: [...new Set(of('shownBy'))].join(','),
    pausedMedianMs: median(of('confirmedMs')), pausedMaxMs: Math.max(...of('confirmedMs')),
    resumedMedianMs: median(of('confirmedMs', (x) => x.resume)),
    stepsAfterClickMedian: median(repeats.map((x) => x.pause.stepAtConfirmed - x.pause.stepAtClick)),
  };
}

/** One fresh profile on `?backend=<backend>`: classification latency idle (`withLatency`), then
 * a run of the Atelier CNN (all 55,000 images, one epoch, so no epoch end falls in it) and, once
 * past step 2, classification latency again and Pause/Resume (`withPause`); the main thread
 * over the whole run. Figures land in `into` as they come, so a failure keeps the earlier ones. */
export async function responsiveness(server, backend, { withLatency, withPause }, into) {
  // Training forced onto `backend`; the classifier chooses its own backend as on any page.
  const query = querySuffix(backend, { classify: 'auto' });
  Object.assign(into, { backend, query, model: RESPONSIVE_MODEL, batch: BATCH, idle: null, training: null, pause: null, load: load() });
  const context = await browser();
  try {
    // A first visit runs the races (their GPU figures complete in the background): the
    // classifier's, and a trainer forced onto WebGPU still races for where to evaluate. The
    // measured visit reuses them, as a returning user's page does, so no race competes.
    const first = await open(context, server.url, query);
    // The page's default workload: the measured visit opens with it, and its idle figures must
    // not share the cores with a race (the Atelier CNN's race starts only when it is chosen,
    // and a run's start stops it).
    const workloads = ['classify/1', ...(backend === 'webgpu' ? [`${DEFAULT_MODEL}/${BATCH}`] : [])];
    try {
      await first.waitForFunction((wanted) => wanted.every((w) => (JSON.parse(localStorage.getItem('atelier.races') || '[]'))
        .some((r) => r.workload === w && r.complete)), workloads, { timeout: 5 * MINUTE, polling: 500 });
    } catch (e) {
      if (e.name !== TIMEOUT) throw e;
      log(`responsiveness ${backend}: the races (${workloads}) did not complete within 5 minutes`);
    }
    await first.close();
    const page = await open(context, server.url, query);
    await calibrateLongTasks(page);
    await waitReady(page, true);
    into.engineBackend = await page.getByTestId('backend').getAttribute('data-value');
    // The classifier's choice (stored from the first visit) is in before the measurement.
    try {
      await page.waitForFunction(() => ['cached', 'measured', 'unavailable']
        .includes(document.querySelector('[data-testid="classify-model-select"]')?.dataset.backendChoice), null, { timeout: 5 * MINUTE, polling: 100 });
    } catch (e) {
      if (e.name !== TIMEOUT) throw e;
      log(`latency ${backend}: the classifier had not chosen its backend within 5 minutes`);
    }
    // A page forced onto WebGPU starts it at load (device, a check against the CPU, kernels
    // compiled: on SwiftShader seconds of both cores): "idle" begins once that is done.
    if (backend === 'webgpu') {
      await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.dataset.checkLossDifference, null,
        { timeout: 5 * MINUTE, polling: 100 }).catch(() => log('latency webgpu: no WebGPU check on the badge within 5 minutes'));
    }
    if (withLatency) into.idle = await latency(page, backend, { what: 'idle' });
    // The classifier's own backend and how it was chosen (`classify-backend`; absent in older builds).
    into.classifyBackend = await page.evaluate(() => {
      const d = document.querySelector('[data-testid="classify-backend"]')?.dataset;
      return d ? { value: d.value ?? null, choice: d.choice ?? null } : null;
    });
    await configure(page, { model: RESPONSIVE_MODEL, subset: 'all', epochs: 1 });
    const { clicked } = await start(page);
    try {
      await waitRunning(page, 2, `${RESPONSIVE_MODEL} on ${backend}`);
      into.trainingFromStep = Number(await page.getByTestId('train-state').getAttribute('data-step'));
      if (withLatency) {
        const stepBefore = into.trainingFromStep;
        into.training = await latency(page, backend, { samples: LATENCY_TRAINING_SAMPLES, budgetMs: LATENCY_BUDGET_MS, what: `while ${RESPONSIVE_MODEL} trains` });
        const after = await page.evaluate(() => ({ ...document.querySelector('[data-testid="train-state"]').dataset }));
        // Training went on meanwhile (steps reported during the measurement), or the figure means little.
        Object.assign(into.training, { stepsDuring: Number(after.step) - stepBefore, stateAfter: after.state });
      }
      if (withPause) into.pause = await pauses(page, backend);
    } finally {
      // Also after a failure: stop the run and keep what the main thread did until then.
      try {
        const ended = await pageNow(page);
        await stopAndSettle(page).catch((e) => log(`stopping on ${backend}: ${e.message.split('\n')[0]}`));
        const b = await bench(page);
        const tasks = longTasksIn(b, clicked, ended);
        Object.assign(into, {
          trainingSeconds: round((ended - clicked) / 1000),
          longestMainThreadTaskMs: longest(counted(tasks)), mainThreadTasksOver50ms: counted(tasks).length,
          longestAppTaskMs: longest(tasks.filter((t) => t.kind === 'app')), longTasks: tasks,
          mainThread: mainThread(b, clicked, ended),
        });
        log(`responsiveness ${backend} main thread`, JSON.stringify(into.mainThread));
      } catch (e) {
        log(`responsiveness ${backend}: main-thread figures lost: ${e.message.split('\n')[0]}`);
      }
    }
    into.loadAfter = load();
    return into;
  } finally {
    await context.close();
  }
}

// The app served from a snapshot of dist/, headless Chromium (tests/e2e/harness.mjs) and the
// page-side instrumentation the measurements read.
import { readFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { launch, serveDist, DIST } from '../e2e/harness.mjs';
import { BATCH, MINUTE, GAP_MONITOR, round, log } from './config.mjs';

/** Copies dist/ to a temporary folder; retries if a rebuild changed it meanwhile. */
export async function snapshotDist() {
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

/** Serves `root` (a snapshot of dist/) on a free loopback port, as the e2e tests serve dist/. */
export const serve = (root) => serveDist(root);

/** Runs in every page before its scripts: long tasks, and the page clock of every change the
 * benchmark reads (engine ready, pre-trained model ready, steps reported, evaluations shown). */
export function instrument({ gaps = true } = {}) {
  const b = (window.__bench = { longTasks: [], steps: [], evals: [], backendAt: null, backend: null, pretrainedAt: null });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  // Long animation frames (≥ 50 ms) say which scripts ran (to tell a chart redraw from a GC or
  // a message): `source` is what `longTasksIn` classifies, the rest is reported for the worst.
  b.frames = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        b.frames.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration,
          renderStart: e.renderStart, styleAndLayoutStart: e.styleAndLayoutStart,
          scripts: e.scripts.map((x) => ({ invoker: x.invoker, invokerType: x.invokerType, url: x.sourceURL || '', fn: x.sourceFunctionName || '',
            source: `${x.sourceFunctionName || ''} ${(x.sourceURL || '').split('/').pop()}`.trim(), ms: Math.round(x.duration),
            forcedLayoutMs: Math.round(x.forcedStyleAndLayoutDuration ?? 0) })) });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
    b.loaf = true;
  } catch { b.loaf = false; /* not supported */ }
  // Event-loop responsiveness below 50 ms, which neither `longtask` nor LoAF report: the largest
  // gap between animation frames (rAF), and the largest delay of a message-channel ping sent
  // every 10 ms (how late the main thread got to it). Kept as the largest per page-clock second,
  // so any window can be summarised without storing every sample.
  // (`--no-gap-monitor` turns both off, to check that they cost the measurements nothing.)
  b.rafGaps = gaps ? {} : null;
  b.pingDelays = gaps ? {} : null;
  const keep = (into, now, gap) => { const k = Math.floor(now / 1000); if (!(into[k] >= gap)) into[k] = gap; };
  let lastFrame = null;
  const frame = () => {
    const now = performance.now();
    if (lastFrame !== null) keep(b.rafGaps, now, now - lastFrame);
    lastFrame = now;
    requestAnimationFrame(frame);
  };
  if (gaps) requestAnimationFrame(frame);
  // The delay is from when the 10 ms timer was due to when the message is handled: a task that
  // holds the thread while the timer waits, or while the message waits, shows in it.
  const channel = new MessageChannel();
  let due = performance.now();
  channel.port1.onmessage = () => {
    const now = performance.now();
    keep(b.pingDelays, now, Math.max(0, now - due));
    due = now + 10;
    setTimeout(() => channel.port2.postMessage(0), 10);
  };
  if (gaps) channel.port2.postMessage(0);
  // The backend badge's race decisions `[pageMs, data-choice, data-workload, data-value]`.
  b.choices = [];
  const check = () => {
    const now = performance.now();
    const badge = document.querySelector('[data-testid="backend"]');
    if (b.backendAt === null && badge?.dataset.value) { b.backendAt = now; b.backend = badge.dataset.value; }
    if (badge) {
      const last = b.choices.at(-1);
      const c = [now, badge.dataset.choice ?? null, badge.dataset.workload ?? null, badge.dataset.value ?? null];
      if (!last || last[1] !== c[1] || last[2] !== c[2] || last[3] !== c[3]) b.choices.push(c);
    }
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
      if (b.lastEval !== key) {
        b.lastEval = key;
        // [page ms, run, epoch, test accuracy shown then]
        const accuracy = Number(document.querySelector('[data-testid="metric-test-accuracy"]')?.dataset.value);
        b.evals.push([now, Number(evaluation.dataset.runId), Number(evaluation.dataset.epoch), accuracy]);
      }
    }
  };
  const start = () => {
    new MutationObserver(check).observe(document.documentElement, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ['data-value', 'data-step', 'data-state', 'data-epoch', 'data-run-id', 'data-pretrained', 'data-choice', 'data-workload'],
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
export async function browser() {
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
export const machine = { browser: null, adapter: null };

export async function open(context, url, query) {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.addInitScript(instrument, { gaps: GAP_MONITOR });
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

export const bench = (page) => page.evaluate(() => window.__bench);
export const pageNow = (page) => page.evaluate(() => performance.now());

export async function waitReady(page, pretrained = false) {
  await page.locator('[data-testid="data-status"][data-state="ready"]').waitFor({ timeout: 5 * MINUTE });
  await page.waitForFunction(() => window.__bench.backendAt !== null, null, { timeout: 10 * MINUTE, polling: 100 });
  if (pretrained) await page.waitForFunction(() => window.__bench.pretrainedAt !== null, null, { timeout: 5 * MINUTE, polling: 100 });
}

/** A deliberate 120 ms task must be seen, or the long-task figures mean nothing. */
export async function calibrateLongTasks(page) {
  // From a timer: a busy loop run directly by page.evaluate (a DevTools task) is not reported as
  // a long task by Chromium 156.
  await page.evaluate(() => { setTimeout(() => { const t = performance.now(); while (performance.now() - t < 120); }, 0); });
  await page.waitForFunction(() => window.__bench.longTasks.some((t) => t.duration >= 100), null, { timeout: 5_000 });
}

/** Main-thread JS heap after a forced garbage collection (CDP), and how long that took. */
export async function jsHeap(page) {
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

/** `?backend=cpu` or `?backend=webgpu` (forced: no race, so a WebGPU figure is WebGPU's even
 * where the race would pick the CPU; builds before the race ignore `webgpu` and use it anyway),
 * or no backend parameter for `backend` null (the default page, which races). */
export const querySuffix = (backend, extra = {}) => {
  const params = new URLSearchParams({ ...(backend ? { backend } : {}), ...extra });
  const s = params.toString();
  return s ? `?${s}` : '';
};

export async function configure(page, { model, subset, epochs }) {
  await page.getByTestId('model-select').selectOption(model);
  await page.getByTestId('subset-select').selectOption(String(subset));
  await page.getByTestId('batch-select').selectOption(String(BATCH));
  await page.getByTestId('epochs-select').selectOption(String(epochs));
}

/** Clicks Start; returns the page clock at the click, where this run's step records begin, and
 * the previous run's last step (shown until this run reports). */
export async function start(page) {
  const { from, stale } = await page.evaluate(() => ({
    from: window.__bench.steps.length, stale: Number(document.querySelector('[data-testid="train-state"]').dataset.step) }));
  const clicked = await pageNow(page);
  await page.getByTestId('train-start').click();
  return { clicked, from, stale };
}

/** This run's step records `[pageMs, step, state]`, steps ≥ 1: the rising sequence after the
 * last drop. Before it the badge may show the previous run's step, and even (seen here) a
 * stopped run's last late step after the new run was cleared. (Inlined in `training`'s wait.) */
export function runRecords(all, from) {
  const records = all.slice(from).filter((r) => r[1] > 0);
  let begin = 0;
  for (let i = 1; i < records.length; i++) if (records[i][1] < records[i - 1][1]) begin = i;
  return records.slice(begin);
}

export async function stopAndSettle(page) {
  const active = async () => ['running', 'paused'].includes(await page.getByTestId('train-state').getAttribute('data-state'));
  if (await active()) {
    // A short run may end on its own between the look and the click (Stop is then disabled).
    await page.getByTestId('train-stop').click({ timeout: 10_000 }).catch(async (e) => {
      if (await active()) throw e;
    });
  }
  await page.waitForFunction(() => !['running', 'paused'].includes(document.querySelector('[data-testid="train-state"]').dataset.state),
    null, { timeout: 5 * MINUTE, polling: 100 });
  // The engine now says "done" only after its last steps are sent (e5ac730); the pause stays as
  // a guard for builds before it, whose late steps would show up at the start of the next run.
  await page.waitForFunction(() => performance.now() - (window.__bench.steps.at(-1)?.[0] ?? 0) > 1500, null, { timeout: MINUTE, polling: 250 });
}


export const firstAt = (records, step) => records.find((r) => r[1] >= step);

/** Long tasks between `from` and `to` (page clock), each with the scripts of the long animation
 * frames it overlaps: `app` if one is Atelier's, `harness` if the only scripts are the
 * benchmark's own (Playwright's polling: a timer without a source), else `unattributed`
 * (style, layout, paint, GC, or the main thread waiting for a CPU the other processes hold). */
export function longTasksIn(b, from, to, exclude = []) {
  return b.longTasks
    .filter((t) => t.start >= from && t.start <= to && !exclude.some(([a, z]) => t.start + t.duration >= a && t.start <= z))
    .map((t) => {
      const scripts = b.frames.filter((f) => f.start <= t.start + t.duration && f.start + f.duration >= t.start).flatMap((f) => f.scripts);
      const kind = scripts.some((x) => x.source.includes('atelier')) ? 'app' : scripts.length && scripts.every((x) => !x.source) ? 'harness' : 'unattributed';
      return { start: round(t.start), duration: t.duration, kind, scripts };
    });
}
export const counted = (tasks) => tasks.filter((t) => t.kind !== 'harness');
export const longest = (tasks) => tasks.reduce((m, t) => Math.max(m, t.duration), 0);

export function fail(page, what) {
  return page.evaluate(() => document.querySelector('[data-testid="train-state"]')?.textContent).then((text) => {
    throw new Error(`${what}: the run ended in an error: ${text}`);
  });
}

/** A DevTools trace's renderer main threads: for each, its complete events and its outermost
 * tasks of at least `minUs` (a nested run loop reports its task inside the outer one). */
export function rendererMains(events, minUs = 0) {
  const names = new Map();
  for (const e of events) if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  return [...names].filter(([, n]) => n === 'CrRendererMain').map(([key]) => {
    const evs = events.filter((e) => `${e.pid}:${e.tid}` === key && e.ph === 'X');
    const runs = evs.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.dur >= minUs);
    const tasks = runs.filter((t) => !runs.some((o) => o !== t && o.ts <= t.ts && o.ts + o.dur >= t.ts + t.dur));
    return { key, evs, tasks };
  });
}

/** A DevTools trace's threads between `lo` and `hi` (µs): for each, its process and thread
 * names, how long it was busy (its complete events merged, nested ones counted once) and what
 * it ran then (µs by event name, nested events included). */
export function threadActivity(events, lo, hi) {
  const names = new Map(), procs = new Map(), spans = new Map();
  for (const e of events) {
    if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
    if (e.name === 'process_name') procs.set(e.pid, e.args.name);
  }
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur || e.ts + e.dur <= lo || e.ts >= hi) continue;
    const key = `${e.pid}:${e.tid}`;
    (spans.get(key) ?? spans.set(key, []).get(key)).push([Math.max(e.ts, lo), Math.min(e.ts + e.dur, hi), e.name]);
  }
  return [...spans].map(([key, list]) => {
    list.sort((x, y) => x[0] - y[0]);
    let busy = 0, end = -Infinity;
    const ran = new Map();
    for (const [a, z, name] of list) {
      if (z > end) { busy += z - Math.max(a, end); end = z; }
      ran.set(name, (ran.get(name) ?? 0) + z - a);
    }
    return { key, process: procs.get(Number(key.split(':')[0])) ?? '?', thread: names.get(key) ?? key, busy, ran };
  });
}

// The backend race: the default page (no `?backend=`) times a few training steps of the chosen
// model on each backend at engine start and when the model or batch size changes, and trains
// on the faster. Read from the backend badge (`data-testid="backend"`):
//   data-choice    measuring | measured | cached | forced | unavailable
//   data-workload  `<model>/<batch>` the decision is for (Dense with its layers: `dense-128-128/64`)
//   data-cpu-rate, data-gpu-rate   images/s (empty: not measured within the race's budget)
//   data-race-ms   the race's wall time; data-value   webgpu | cpu (the backend chosen)
//   data-adapter   the WebGPU adapter; data-software   `true` for a software/fallback adapter
import { BATCH, RACE_MODELS, RACE_TIMEOUT_MS, CACHED_MODEL, MINUTE, load, round, log } from './config.mjs';
import { browser, open, bench, pageNow } from './browser.mjs';

const TIMEOUT = 'TimeoutError';
const DECIDED = ['measured', 'cached', 'forced', 'unavailable'];

/** Everything the badge says. */
export const readBadge = (page) => page.evaluate(() => {
  const badge = document.querySelector('[data-testid="backend"]');
  if (!badge) return null;
  const d = badge.dataset;
  const number = (v) => (v === undefined || v === '' ? null : Number(v));
  return { choice: d.choice ?? null, workload: d.workload ?? null, value: d.value || null, cpuRate: number(d.cpuRate), gpuRate: number(d.gpuRate),
    raceMs: number(d.raceMs), adapter: d.adapter ?? null, software: d.software === undefined ? null : d.software === 'true',
    text: badge.textContent.replace(/\s+/g, ' ').trim() };
});

/** Whether a data-workload is `model` at batch BATCH (`dense/64`, or `dense-128-128/64`). */
const forModel = (workload, model) => Boolean(workload) && workload.endsWith(`/${BATCH}`) &&
  (workload === `${model}/${BATCH}` || workload.startsWith(`${model}-`));

const badgeText = (b) => (b ? `data-choice=${b.choice ?? '(absent)'} data-workload=${b.workload ?? '(absent)'} data-value=${b.value ?? ''} "${b.text}"` : 'no backend badge');

/** Waits for the badge to show the engine started (`{ started: true }`: a data-value or a
 * data-choice), or a data-choice among `choices` (for `model` at `batch`, when given, matched as
 * `forModel` does); a clear error on timeout. */
async function waitBadge(page, want, timeout, what) {
  try {
    await page.waitForFunction((want) => {
      const d = document.querySelector('[data-testid="backend"]')?.dataset;
      if (!d) return false;
      if (want.started) return Boolean(d.value || d.choice);
      const w = d.workload || '';
      return want.choices.includes(d.choice) && (!want.model || (w.endsWith(`/${want.batch}`)
        && (w === `${want.model}/${want.batch}` || w.startsWith(`${want.model}-`))));
    }, { batch: BATCH, ...want }, { timeout, polling: 50 });
  } catch (e) {
    if (e.name !== TIMEOUT) throw e;
    throw new Error(`${what}: not within ${round(timeout / 1000)} s; the badge shows ${badgeText(await readBadge(page))}`);
  }
}

/** The engine up and its first decision made (the race at engine start, for the default model). */
async function firstDecision(page, what) {
  await waitBadge(page, { started: true }, 10 * MINUTE, `${what}: the engine to start`);
  // A build before the race has no data-choice: say so rather than wait for a minute.
  if ((await readBadge(page)).choice === null) {
    await page.waitForTimeout(5_000);
    if ((await readBadge(page)).choice === null) {
      throw new Error(`${what}: the backend badge has no data-choice (a build without the backend race?); it shows ${badgeText(await readBadge(page))}`);
    }
  }
  await waitBadge(page, { choices: DECIDED }, RACE_TIMEOUT_MS, `${what}: the first backend decision (data-choice ${DECIDED.join('|')})`);
  return readBadge(page);
}

/** Selects `model` (and batch BATCH) and waits for the badge to show a measured race for it;
 * without a change of workload the page does not race again, so the engine-start race stands. */
async function raceFor(page, model, initial) {
  if (forModel(initial.workload, model)) return { selectedAt: null };
  const selectedAt = await pageNow(page);
  await page.getByTestId('model-select').selectOption(model, { timeout: RACE_TIMEOUT_MS });
  if ((await page.getByTestId('batch-select').inputValue()) !== String(BATCH)) await page.getByTestId('batch-select').selectOption(String(BATCH), { timeout: RACE_TIMEOUT_MS });
  // `measured` is what a fresh profile should show; `unavailable` and `cached` are recorded too.
  await waitBadge(page, { choices: ['measured', 'unavailable', 'cached'], model }, RACE_TIMEOUT_MS,
    `${model}: the badge to show data-choice=measured and data-workload=${model}/${BATCH} after selecting the model`);
  return { selectedAt };
}

/** The faster of the two measured rates (a backend not measured within the budget was slower). */
export function faster(m) {
  if (m.gpuRate == null && m.cpuRate == null) return null;
  if (m.gpuRate == null) return 'cpu';
  if (m.cpuRate == null) return 'webgpu';
  return m.gpuRate > m.cpuRate ? 'webgpu' : 'cpu';
}

/** One model in a fresh profile. */
async function raceOne(server, model, context) {
  const page = await open(context, server.url, '');
  const initial = await firstDecision(page, model);
  const { selectedAt } = await raceFor(page, model, initial);
  const badge = await readBadge(page);
  if (!forModel(badge.workload, model)) throw new Error(`${model}: expected a decision for ${model}/${BATCH}; the badge shows ${badgeText(badge)}`);
  if (badge.choice !== 'measured') log(`race ${model}: data-choice=${badge.choice}, not measured`);
  const b = await bench(page);
  // On the page clock: when the badge first showed this decision (from the selection, or for the
  // engine-start race from navigation), and when the engine was first ready (badge data-value).
  const from = selectedAt ?? 0;
  const decided = b.choices.find((c) => c[0] >= from && DECIDED.includes(c[1]) && forModel(c[2], model));
  const firstChoice = b.choices.find((c) => DECIDED.includes(c[1]));
  // The GPU's figure, when it missed the budget, is completed in the background while the
  // engine is idle (until then the next visit reuses the decision and times the GPU again):
  // wait for it.
  let complete = null;
  if (badge.gpuRate == null && badge.software !== null) {
    const waitedFrom = Date.now();
    try {
      await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.dataset.gpuRate, null, { timeout: 3 * MINUTE, polling: 250 });
      const done = await readBadge(page);
      complete = { gpuRate: done.gpuRate, cpuRate: done.cpuRate, raceMs: done.raceMs, value: done.value, text: done.text, waitedMs: Date.now() - waitedFrom };
    } catch (e) {
      if (e.name !== TIMEOUT) throw e;
      log(`race ${model}: the GPU figure was not completed within 3 minutes`);
    }
  }
  const row = {
    model, batch: BATCH, ...badge, expected: faster(badge), complete,
    decidedAfterMs: decided ? round(decided[0] - from) : null, decidedFrom: selectedAt === null ? 'navigation' : 'selection',
    sawMeasuring: b.choices.some((c) => c[0] >= from && c[1] === 'measuring'),
    engineReadyMs: round(b.backendAt), firstDecisionMs: firstChoice ? round(firstChoice[0]) : null,
    initial: { choice: initial.choice, workload: initial.workload, value: initial.value, raceMs: initial.raceMs, cpuRate: initial.cpuRate, gpuRate: initial.gpuRate },
    load: load(),
  };
  log('race', JSON.stringify(row));
  return row;
}

/** A second visit in the same profile: the stored result for the default model is reused
 * (`data-choice=cached`); the time is from navigation (or from selecting the model, should the
 * page come back with another one). */
async function cachedVisit(server, context) {
  const page = context.pages()[0];
  await page.goto(server.url);
  const initial = await firstDecision(page, 'the second visit');
  let selectedAt = null;
  if (!forModel(initial.workload, CACHED_MODEL)) {
    selectedAt = await pageNow(page);
    await page.getByTestId('model-select').selectOption(CACHED_MODEL, { timeout: RACE_TIMEOUT_MS });
    await waitBadge(page, { choices: ['measured', 'cached'], model: CACHED_MODEL }, RACE_TIMEOUT_MS,
      `the second visit: a decision for ${CACHED_MODEL}/${BATCH}`);
  }
  const badge = await readBadge(page);
  const b = await bench(page);
  const from = selectedAt ?? 0;
  const shown = b.choices.find((c) => c[0] >= from && DECIDED.includes(c[1]) && forModel(c[2], CACHED_MODEL));
  const visit = { model: CACHED_MODEL, batch: BATCH, ...badge, cachedAfterMs: shown?.[1] === 'cached' ? round(shown[0] - from) : null,
    decidedAfterMs: shown ? round(shown[0] - from) : null, decidedFrom: selectedAt === null ? 'navigation' : 'selection',
    sawMeasuring: b.choices.some((c) => c[1] === 'measuring'), engineReadyMs: round(b.backendAt), load: load() };
  log('race, second visit', JSON.stringify(visit));
  return visit;
}

/** Each of RACE_MODELS in a fresh profile, then a second visit in the last one. Rows land in
 * `into.models` as they come; a model that fails is recorded with its error and the others go on. */
export async function race(server, into) {
  Object.assign(into, { models: [], cached: null, load: load() });
  const errors = [];
  // (The messages name the model, or "the second visit".)
  const note = (what, e) => { errors.push(e.message.split('\n')[0]); log(`race ${what} failed: ${e.message.split('\n')[0]}`); };
  let context = null;
  try {
    for (const model of RACE_MODELS) {
      if (context) await context.close();
      context = await browser();
      try {
        into.models.push(await raceOne(server, model, context));
      } catch (e) {
        into.models.push({ model, batch: BATCH, error: e.message.split('\n')[0] });
        note(model, e);
        if (/no data-choice/.test(e.message)) break; // a build without the race: the same for every model
      }
    }
    if (!errors.some((e) => /no data-choice/.test(e))) {
      try {
        into.cached = await cachedVisit(server, context);
      } catch (e) {
        into.cached = { model: CACHED_MODEL, batch: BATCH, error: e.message.split('\n')[0] };
        note('second visit', e);
      }
    }
  } finally {
    if (context) await context.close();
  }
  into.loadAfter = load();
  if (errors.length) throw new Error(errors.join('; '));
  return into;
}

// Tables and verdicts of the backend race, classification while training, Pause, and the main
// thread while training (report.mjs puts them in the report; saved runs without these figures
// give "not measured").
import { MODEL_NAMES, TARGETS, median } from './config.mjs';
import { NA, num, ms, loadText, table } from './report.mjs';

const BACKEND_NAMES = { webgpu: 'WebGPU', cpu: 'CPU' };
const name = (backend) => BACKEND_NAMES[backend] ?? backend;
const ms1 = (x) => (x == null ? '–' : `${num(x, 1)} ms`);
const range = (xs) => (xs.length ? `${ms(median(xs))}${xs.length > 1 ? ` (${num(Math.min(...xs))}–${num(Math.max(...xs))})` : ''}` : '–');
const faster = (m) => (m.gpuRate == null && m.cpuRate == null ? null : m.gpuRate == null ? 'cpu' : m.cpuRate == null ? 'webgpu' : m.gpuRate > m.cpuRate ? 'webgpu' : 'cpu');
/** A target "on each backend" with a backend missing is met by none: not available, unless
 * what was measured already fails it. */
const partial = (met, missing) => (!met ? false : missing.length ? null : true);
const measuredRows = (r) => (r.race?.models ?? []).filter((m) => !m.error && m.choice === 'measured');

// ---------------------------------------------------------------------------------------------
// Verdicts

export function raceVerdicts(r, check) {
  const target = `backend race ≤ ${num(TARGETS.raceMs)} ms per model (default page, batch 64)`;
  const choose = 'backend chosen = the faster one measured';
  if (!r.race) { check(target, 'not measured', null); check(choose, 'not measured', null); return; }
  const rows = measuredRows(r);
  const failed = (r.race.models ?? []).filter((m) => m.error || m.choice !== 'measured')
    .map((m) => `${MODEL_NAMES[m.model]}: ${m.error ? `failed (${m.error})` : `data-choice=${m.choice}`}`);
  check(target, [...rows.map((m) => `${MODEL_NAMES[m.model]} ${ms(m.raceMs)}`), ...failed].join(', ') || 'not measured',
    rows.length ? rows.every((m) => m.raceMs != null && m.raceMs <= TARGETS.raceMs) && !failed.length : null,
    'the page\'s data-race-ms');
  const picks = rows.map((m) => ({ m, want: faster(m) }));
  check(choose, picks.map(({ m, want }) => `${MODEL_NAMES[m.model]}: GPU ${m.gpuRate == null ? 'not measured' : num(m.gpuRate)} vs CPU ${m.cpuRate == null ? 'not measured' : num(m.cpuRate)} images/s → ${m.value}${want && m.value !== want ? ` (the faster: ${want})` : ''}`).join('; ') || 'not measured',
    picks.length ? picks.every(({ m, want }) => want !== null && m.value === want) : null,
    'a backend not measured within the race\'s budget counts as the slower');
}

export function latencyVerdict(r, check) {
  const target = `single-image classification < ${TARGETS.classifyMedianMs} ms median and < ${TARGETS.classifyP95Ms} ms p95, idle and while training, each backend`;
  const sessions = (r.responsiveness ?? []).filter((x) => x.idle || x.training);
  if (!sessions.length) { check(target, 'not measured', null); return; }
  const ok = (l) => l.medianMs < TARGETS.classifyMedianMs && l.p95Ms < TARGETS.classifyP95Ms;
  const text = (l) => (l ? `${ms1(l.medianMs)} / ${ms1(l.p95Ms)}` : 'not measured');
  const missing = ['webgpu', 'cpu'].filter((b) => !sessions.some((x) => x.backend === b && x.idle && x.training));
  const stalled = sessions.filter((x) => x.training && !(x.training.stepsDuring > 0)).map((x) => x.backend);
  check(target, sessions.map((x) => `${name(x.backend)}: idle ${text(x.idle)}, training ${text(x.training)} (on ${[x.idle?.answeredOn, x.training?.answeredOn].filter(Boolean).join(' / ') || '?'})`).join('; ') +
    (missing.length ? `; not measured: ${missing.map(name).join(', ')}` : '') + (stalled.length ? `; training made no step meanwhile on ${stalled.join(', ')}` : ''),
    partial(sessions.flatMap((x) => [x.idle, x.training]).filter(Boolean).every(ok), missing), 'median / p95');
}

export function pauseVerdict(r, check) {
  const target = `Pause shown < ${TARGETS.pausePendingMs} ms after the click (data-pending=pause or paused), each backend`;
  const sessions = (r.responsiveness ?? []).filter((x) => x.pause);
  if (!sessions.length) { check(target, 'not measured', null); return; }
  const missing = ['webgpu', 'cpu'].filter((b) => !sessions.some((x) => x.backend === b));
  check(target, sessions.map((x) => `${name(x.backend)}: median ${ms1(x.pause.shownMedianMs)}, worst ${ms1(x.pause.shownMaxMs)} (by ${x.pause.shownBy}); paused after median ${ms(x.pause.pausedMedianMs)}, worst ${ms(x.pause.pausedMaxMs)}`).join('; ') +
    (missing.length ? `; not measured: ${missing.map(name).join(', ')}` : ''),
    partial(sessions.every((x) => x.pause.shownMaxMs < TARGETS.pausePendingMs), missing),
    `every click of ${sessions[0].pause.repeats.length}`);
}

/** Every training session: throughput runs, memory epochs, and the run drawn on and paused. */
function trainingSessions(r) {
  return [
    ...r.training.flatMap((t) => t.cases.map((c) => ({ ...c, label: `${name(c.backend)}, ${MODEL_NAMES[c.model]}${t.readback !== 1 ? `, loss every ${t.readback} steps` : ''}${c.startAfterMs ? `, Start ${c.startAfterMs / 1000} s after ready` : ''}` }))),
    ...r.memory.map((m) => ({ ...m, label: `${name(m.backend)}, ${MODEL_NAMES[m.model]}, ${m.epochs} epochs` })),
    ...(r.responsiveness ?? []).filter((x) => x.longestMainThreadTaskMs != null)
      .map((x) => ({ ...x, label: `${name(x.backend)}, ${MODEL_NAMES[x.model]}, drawing${x.pause ? ' and Pause' : ''}` })),
  ];
}

const scriptsText = (f) => (f.scripts.length
  ? f.scripts.slice(0, 3).map((x) => `${x.invoker || x.invokerType || '?'} (${(x.sourceURL || '').split('/').pop() || 'no source'}${x.function ? ` ${x.function}` : ''}, ${ms(x.ms)})`).join('; ')
  : 'no script (style, layout, paint or GC)');

export function mainThreadVerdict(r, check) {
  const target = `no main-thread task ≥ ${TARGETS.longTaskMs} ms while training, each backend`;
  const sessions = trainingSessions(r);
  if (!sessions.length) { check(target, 'not measured', null); return; }
  const worst = Math.max(...sessions.map((c) => c.longestMainThreadTaskMs ?? 0));
  const app = Math.max(...sessions.map((c) => c.longestAppTaskMs ?? 0));
  const over = sessions.reduce((n, c) => n + (c.mainThreadTasksOver50ms ?? 0), 0);
  const where = [...new Set(sessions.filter((c) => c.mainThreadTasksOver50ms || c.mainThread?.blockingFrames).map((c) => c.label))];
  const withFrames = sessions.filter((c) => c.mainThread);
  const frame = withFrames.filter((c) => c.mainThread.longestFrame).reduce((w, c) => (!w || c.mainThread.longestFrame.duration > w.mainThread.longestFrame.duration ? c : w), null);
  const blocking = withFrames.reduce((n, c) => n + c.mainThread.blockingFrames, 0);
  const maxOf = (key) => { const xs = withFrames.map((c) => c.mainThread[key]).filter((x) => x != null); return xs.length ? Math.max(...xs) : null; };
  const [ping, raf] = [maxOf('largestPingDelayMs'), maxOf('largestRafGapMs')];
  const gaps = ping == null ? '' : `largest event-loop delay ${ms(ping)} (10 ms ping), largest gap between animation frames ${ms(raf)}`;
  const backends = [...new Set(sessions.map((c) => c.backend))].map(name).join(' and ');
  let measured;
  if (worst >= TARGETS.longTaskMs || frame) {
    const f = frame?.mainThread.longestFrame;
    measured = `longest task ${ms(worst)} (with Atelier's scripts in its frame: ${ms(app)}); ${over} task(s) over 50 ms` +
      (f ? `; longest animation frame ${ms(f.duration)}, blocking ${ms(f.blocking)}, ${frame.label}: ${scriptsText(f)}; ${blocking} frame(s) with a blocking task` : '') +
      (where.length ? ` (${where.join(', ')})` : '') + (gaps ? `; ${gaps}` : '');
  } else {
    measured = `no ${withFrames.length ? 'task or animation frame' : 'task'} ≥ 50 ms was seen; ` +
      (gaps ? `largest gap ${ms(ping)} (event-loop ping; between animation frames ${ms(raf)})` : 'gaps below 50 ms not measured in this run');
  }
  check(target, `${measured}; on ${backends}`, partial(worst < TARGETS.longTaskMs && blocking === 0, ['webgpu', 'cpu'].filter((b) => !sessions.some((c) => c.backend === b))),
    'tasks and frames of the benchmark\'s own polling left out');
}

// ---------------------------------------------------------------------------------------------
// Tables

export function raceTable(r) {
  const rows = (r.race.models ?? []).map((m) => (m.error
    ? [MODEL_NAMES[m.model], NA, NA, `failed: ${m.error}`, '–', '–', '–']
    : [MODEL_NAMES[m.model], m.gpuRate != null ? num(m.gpuRate)
      : m.complete ? `${num(m.complete.gpuRate)} (after the budget: ${ms(m.complete.raceMs)})` : 'not measured', m.cpuRate == null ? 'not measured' : num(m.cpuRate),
      `${name(m.value)}${m.choice !== 'measured' ? ` (${m.choice})` : faster(m) && faster(m) !== m.value ? ' (the slower!)' : ''}`, ms(m.raceMs),
      `${m.adapter || '–'}${m.software ? ' (software)' : ''}`, m.decidedAfterMs == null ? '–' : `${ms(m.decidedAfterMs)} from ${m.decidedFrom}`]));
  const ok = (r.race.models ?? []).filter((m) => !m.error);
  const lines = [];
  if (ok.length) {
    const initials = [...new Set(ok.map((m) => `${m.initial.workload} (${m.initial.choice}, ${name(m.initial.value)})`))].join(', ');
    lines.push(`Engine start on the default page, fresh profiles: backend badge after ${range(ok.map((m) => m.engineReadyMs).filter((x) => x != null))} from navigation, ` +
      `first decision after ${range(ok.map((m) => m.firstDecisionMs).filter((x) => x != null))} (${initials}).`);
  }
  const c = r.race.cached;
  if (c) {
    lines.push(c.error ? `Second visit, same profile: failed (${c.error}).`
      : `Second visit, same profile (${MODEL_NAMES[c.model]}): data-choice=${c.choice} (${name(c.value)}) ${c.decidedAfterMs == null ? '' : `after ${ms(c.decidedAfterMs)} from ${c.decidedFrom}`}` +
        `${c.choice === 'cached' ? '' : ' — not the stored result'}${c.sawMeasuring ? ', after a race' : ''}; backend badge after ${ms(c.engineReadyMs)}; badge: "${c.text}".`);
  }
  return `**Backend race**, the default page (no \`?backend=\`), batch 64, one fresh profile per model (read from the backend badge; ${loadText(r.race.load)}):\n\n` +
    table(['model', 'GPU img/s', 'CPU img/s', 'chosen', 'race time (decision)', 'adapter', 'decided'], rows) + (lines.length ? `\n\n${lines.join('\n')}` : '');
}

export function latencyTables(r) {
  const parts = [];
  const sessions = r.responsiveness ?? [];
  const lat = sessions.filter((x) => x.idle || x.training);
  if (lat.length) {
    const cells = (l) => (l ? [ms1(l.medianMs), ms1(l.p95Ms), `${l.samples.length}${l.truncated ? ' (time budget)' : ''}`] : ['–', '–', '–']);
    parts.push(`**Single-image classification, idle and while the ${MODEL_NAMES[lat[0].model]} trains** (input event → probabilities on the page, with saliency; strokes with pointer events):\n\n` + table(
      ['page', 'classified on', 'idle median', 'idle p95', 'samples', 'training median', 'training p95', 'samples', 'steps trained meanwhile', 'load'],
      lat.map((x) => [`\`${x.query}\``, ([...new Set([x.idle?.answeredOn, x.training?.answeredOn].filter(Boolean))].join(' / ') || '–') +
        (x.classifyBackend?.choice ? ` (${x.classifyBackend.choice})` : ''), ...cells(x.idle), ...cells(x.training),
        x.training ? `${x.training.stepsDuring} (then ${x.training.stateAfter})` : '–', loadText(x.load)])));
  }
  const pause = sessions.filter((x) => x.pause);
  if (pause.length) {
    parts.push(`**Pause**, while the ${MODEL_NAMES[pause[0].model]} trains, clicked from inside the page (page clock; median and worst of ${pause[0].pause.repeats.length}, Resume in between):\n\n` + table(
      ['page', 'click → shown', 'shown by', 'click → next frame', 'click → paused (engine)', 'steps after the click', 'Resume → running', 'load'],
      pause.map((x) => [`\`${x.query}\``, `${ms1(x.pause.shownMedianMs)} (worst ${ms1(x.pause.shownMaxMs)})`, x.pause.shownBy || '–', ms1(x.pause.shownFrameMedianMs),
        `${ms(x.pause.pausedMedianMs)} (worst ${ms(x.pause.pausedMaxMs)})`, num(x.pause.stepsAfterClickMedian), ms(x.pause.resumedMedianMs), loadText(x.load)])));
  }
  return parts;
}

export function mainThreadTable(r) {
  const sessions = trainingSessions(r).filter((c) => c.mainThread);
  if (!sessions.length) return null;
  return '**Main thread while training**: long tasks (≥ 50 ms), long animation frames (≥ 50 ms, with the worst one\'s scripts), and below 50 ms ' +
    'the largest gap between animation frames and the largest delay of a 10 ms message-channel ping (per session; the benchmark\'s own polling left out):\n\n' + table(
    ['session', 'tasks ≥ 50 ms (longest)', 'longest frame (blocking)', 'its scripts', 'largest rAF gap', 'largest ping delay'],
    sessions.map((c) => {
      const f = c.mainThread.longestFrame;
      return [c.label, `${c.mainThreadTasksOver50ms}${c.mainThreadTasksOver50ms ? ` (${ms(c.longestMainThreadTaskMs)})` : ''}`,
        f ? `${ms(f.duration)} (${ms(f.blocking)})` : c.mainThread.loafSupported === false ? 'LoAF not supported' : 'none ≥ 50 ms',
        f ? scriptsText(f) : '–', ms(c.mainThread.largestRafGapMs), ms(c.mainThread.largestPingDelayMs)];
    }));
}

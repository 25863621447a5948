// What fills the main thread's long tasks as a run starts: a DevTools trace from the Start click
// for a few seconds, then each main-thread task of >= 30 ms (MIN_US to change) with its wall time,
// the time its thread really ran (thread CPU), and the trace events inside it by wall / CPU ms.
// A task whose thread CPU is a fraction of its wall time waited for a core, not for Atelier.
//   trunk build --release && node tests/bench/trace-start.mjs [webgpu|cpu] [dense|baseline-cnn|atelier-cnn] [ms]
import { snapshotDist, serve, browser, open, waitReady, configure, start, querySuffix } from './browser.mjs';
const backend = process.argv[2] ?? 'webgpu';
const model = process.argv[3] ?? 'dense';
const dir = await snapshotDist();
const server = await serve(dir);
const context = await browser();
const page = await open(context, server.url, querySuffix(backend));
await waitReady(page);
await configure(page, { model, subset: 10000, epochs: 1 });
await new Promise((ok) => setTimeout(ok, 3000));
const cdp = await context.newCDPSession(page);
const events = [];
cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink,toplevel,v8,disabled-by-default-v8.gc,gpu,ipc', transferMode: 'ReportEvents' });
await start(page);
await new Promise((ok) => setTimeout(ok, Number(process.argv[4] ?? 8000)));
await cdp.send('Tracing.end');
await done;
const names = new Map();
for (const e of events) if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
const mains = [...names].filter(([, n]) => n === 'CrRendererMain').map(([k]) => k);
for (const key of mains) {
  const evs = events.filter((e) => `${e.pid}:${e.tid}` === key && e.ph === 'X');
  const long = evs.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.dur >= Number(process.env.MIN_US ?? 30000));
  // Outermost only: a nested run loop reports its task inside the outer one.
  const tasks = long.filter((t) => !long.some((o) => o !== t && o.ts <= t.ts && o.ts + o.dur >= t.ts + t.dur));
  for (const t of tasks) {
    const inner = evs.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
    const agg = new Map();
    for (const e of inner) { const a = agg.get(e.name) ?? [0, 0]; agg.set(e.name, [a[0] + e.dur, a[1] + (e.tdur ?? 0)]); }
    const top = [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 14).map(([n, [d, c]]) => `${n} ${(d / 1000).toFixed(1)}/${(c / 1000).toFixed(1)}`);
    console.log(`${key} task ${(t.dur / 1000).toFixed(1)} ms (thread cpu ${t.tdur ? (t.tdur / 1000).toFixed(1) : '?'} ms): ${top.join(' | ')}`);
  }
}
await context.close();
await server.close?.();
process.exit(0);

// What fills the main thread's long tasks as a run starts: a DevTools trace from the Start click
// for a few seconds, then each main-thread task of >= 30 ms (MIN_US to change) with its wall time,
// the time its thread really ran (thread CPU), and the trace events inside it by wall / CPU ms.
// A task whose thread CPU is a fraction of its wall time waited for a core, not for Atelier.
// Each line starts with the task's time after the click; the run's state changes (from the
// `train-state` element, as user-timing marks) are listed first, so a task can be placed
// against the engine's first step ("state running") as well.
//   trunk build --release && node tests/bench/trace-start.mjs [webgpu|cpu|default] [dense|baseline-cnn|atelier-cnn] [ms]
// WAIT (ms, default 3000) is how long after the page is ready the click comes (WAIT=0: at once,
// while the engine's backend race and V8's compilation still run). Then the threads that were
// busy in the first BUSY_MS (default 150) ms after the click are listed: whose cores the main
// thread waited for.
import { snapshotDist, serve, browser, open, waitReady, configure, start, querySuffix, rendererMains, threadActivity } from './browser.mjs';
// `default`: the page without ?backend= (it races the backends).
const backend = process.argv[2] === 'default' ? null : process.argv[2] ?? 'webgpu';
const model = process.argv[3] ?? 'dense';
const dir = await snapshotDist();
const server = await serve(dir);
const context = await browser();
const page = await open(context, server.url, querySuffix(backend));
await waitReady(page);
await configure(page, { model, subset: 10000, epochs: 1 });
await new Promise((ok) => setTimeout(ok, Number(process.env.WAIT ?? 3000)));
// Each change of the run's state becomes a user-timing mark in the trace, so tasks can be
// placed against "running" (the engine's first step) as well as the click.
await page.evaluate(() => {
  const el = document.querySelector('[data-testid="train-state"]');
  let last = el.dataset.state;
  new MutationObserver(() => {
    if (el.dataset.state !== last) performance.mark(`state ${(last = el.dataset.state)}`);
  }).observe(el, { attributes: true, attributeFilter: ['data-state'] });
});
const cdp = await context.newCDPSession(page);
const events = [];
cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink,toplevel,v8,disabled-by-default-v8.gc,gpu,ipc,blink.user_timing', transferMode: 'ReportEvents' });
await start(page);
await new Promise((ok) => setTimeout(ok, Number(process.argv[4] ?? 8000)));
await cdp.send('Tracing.end');
await done;
// Times are ms after the Start click (the click's EventDispatch on the page's main thread).
const click = events.find((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'click');
const zero = click?.ts ?? Math.min(...events.filter((e) => e.ts > 0).map((e) => e.ts));
const at = (ts) => `+${((ts - zero) / 1000).toFixed(0)} ms`;
for (const e of events) if (e.cat?.includes('user_timing') && e.name.startsWith('state ')) console.log(`${at(e.ts)} ${e.name}`);
for (const { key, evs, tasks } of rendererMains(events, Number(process.env.MIN_US ?? 30000))) {
  for (const t of tasks) {
    const inner = evs.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
    const agg = new Map();
    for (const e of inner) { const a = agg.get(e.name) ?? [0, 0]; agg.set(e.name, [a[0] + e.dur, a[1] + (e.tdur ?? 0)]); }
    const top = [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 14).map(([n, [d, c]]) => `${n} ${(d / 1000).toFixed(1)}/${(c / 1000).toFixed(1)}`);
    console.log(`${at(t.ts)} ${key} task ${(t.dur / 1000).toFixed(1)} ms (thread cpu ${t.tdur ? (t.tdur / 1000).toFixed(1) : '?'} ms): ${top.join(' | ')}`);
  }
}
// Whose cores the main thread waited for: every thread's busy time in the first BUSY_MS after
// the click, and what the workers and thread pools ran then (threads of one name summed).
{
  const threads = threadActivity(events, zero, zero + Number(process.env.BUSY_MS ?? 150) * 1000);
  const ran = new Map();
  for (const t of threads.filter((t) => /ThreadPoolForeground|DedicatedWorker/.test(t.thread))) {
    for (const [name, us] of t.ran) ran.set(`${t.thread} ${name}`, (ran.get(`${t.thread} ${name}`) ?? 0) + us);
  }
  const list = (entries) => entries.sort((x, y) => y[0] - x[0]).slice(0, 14).map(([us, what]) => `  ${(us / 1000).toFixed(1)} ms ${what}`).join('\n');
  console.log(`busy in the first ${process.env.BUSY_MS ?? 150} ms after the click:\n${list(threads.map((t) => [t.busy, `${t.process} ${t.thread}`]))}`);
  console.log(`what the workers and thread pools ran then:\n${list([...ran].map(([k, us]) => [us, k]))}`);
}
await context.close();
await server.close?.();
process.exit(0);

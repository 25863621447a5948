// Who holds the cores as the page gets ready: a DevTools trace from navigation to N ms after the
// dataset is ready, then for each thread (renderer, its workers, the GPU process) how busy it was
// in each half second, from 2 s before "ready" to 6 s after, and what it ran most in the first
// 3 s after it. It showed why a Start click in those first seconds costs a long frame on this
// machine while one 4 s later costs none (README, "What fills the long task at a WebGPU run's
// start"): the engine's backend race and V8 compiling the engine's hot WebAssembly hold the cores.
//   trunk build --release && node tests/bench/trace-load.mjs [webgpu|cpu|default] [ms after ready]
import { snapshotDist, serve, browser, querySuffix } from './browser.mjs';
const backend = process.argv[2] === 'default' ? null : process.argv[2] ?? 'webgpu'; // `default`: no ?backend=
const dir = await snapshotDist();
const server = await serve(dir);
const context = await browser();
const page = context.pages()[0] ?? (await context.newPage());
await page.addInitScript(() => {
  const watch = () => new MutationObserver(() => {
    const d = document.querySelector('[data-testid="data-status"]');
    if (d?.dataset.state === 'ready' && !window.__readyMarked) { window.__readyMarked = true; performance.mark('ready'); }
    const b = document.querySelector('[data-testid="backend"]');
    if (b?.dataset.value && !window.__backendMarked) { window.__backendMarked = true; performance.mark('backend'); }
    if (b?.dataset.raceComplete === 'true' && !window.__raceMarked) { window.__raceMarked = true; performance.mark('race complete'); }
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true });
  if (document.documentElement) watch(); else document.addEventListener('readystatechange', watch, { once: true });
});
const cdp = await context.newCDPSession(page);
const events = [];
cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8.execute,toplevel,v8,disabled-by-default-v8.compile,v8.wasm,blink.user_timing,__metadata', transferMode: 'ReportEvents' });
await page.goto(`${server.url}${querySuffix(backend)}`);
await page.locator('[data-testid="data-status"][data-state="ready"]').waitFor({ timeout: 300_000 });
await new Promise((ok) => setTimeout(ok, Number(process.argv[3] ?? 6000)));
await cdp.send('Tracing.end');
await done;
const names = new Map(), procs = new Map();
for (const e of events) if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
for (const e of events) if (e.name === 'process_name') procs.set(e.pid, e.args.name);
const marks = events.filter((e) => e.cat?.includes('user_timing') && ['ready', 'backend', 'race complete'].includes(e.name));
const ready = marks.find((e) => e.name === 'ready')?.ts;
for (const m of marks) console.log(`${m.name} at ${((m.ts - ready) / 1000).toFixed(0)} ms`);
const BIN = 500_000, from = ready - 4 * BIN, bins = 16;
const busy = new Map();
for (const e of events) {
  if (e.ph !== 'X' || !e.dur) continue;
  const k = `${e.pid}:${e.tid}`;
  (busy.get(k) ?? busy.set(k, []).get(k)).push([e.ts, e.ts + e.dur, e.name]);
}
const rows = [];
for (const [k, spans] of busy) {
  spans.sort((a, b) => a[0] - b[0]);
  const per = new Array(bins).fill(0);
  let end = -Infinity;
  for (const [a0, z] of spans) {
    if (z <= end) continue;
    const a = Math.max(a0, end); end = z;
    for (let i = 0; i < bins; i++) { const lo = from + i * BIN, hi = lo + BIN; per[i] += Math.max(0, Math.min(z, hi) - Math.max(a, lo)); }
  }
  const total = per.reduce((x, y) => x + y, 0);
  const top = new Map();
  for (const [a, z, n] of spans) if (z > ready && a < ready + 6 * BIN) top.set(n, (top.get(n) ?? 0) + Math.min(z, ready + 6 * BIN) - Math.max(a, ready));
  rows.push([total, `${(procs.get(Number(k.split(':')[0])) ?? '?').slice(0, 8)} ${(names.get(k) ?? k).slice(0, 26).padEnd(26)} ${per.map((us) => String(Math.round(us / 5000)).padStart(3)).join('')}  ${[...top].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, us]) => `${n} ${(us / 1000).toFixed(0)}`).join(', ')}`]);
}
console.log(`% busy per 500 ms, from 2 s before ready to ${bins / 2 - 2} s after`);
for (const [, r] of rows.sort((a, b) => b[0] - a[0]).slice(0, 16)) console.log(r);
await context.close();
process.exit(0);

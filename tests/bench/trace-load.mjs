// Who holds the cores as the page gets ready: a DevTools trace from navigation to N ms after the
// dataset is ready, then for each thread (renderer, its workers, the GPU process) how busy it was
// in each half second, from 2 s before "ready" to 6 s after, and what it ran most in the first
// 3 s after it. It showed why a Start click in those first seconds costs a long frame on this
// machine while one 4 s later costs none (README, "What fills the long task at a WebGPU run's
// start"): the engine's backend race and V8 compiling the engine's hot WebAssembly hold the cores.
//   trunk build --release && node tests/bench/trace-load.mjs [webgpu|cpu|default] [ms after ready]
import { snapshotDist, serve, browser, querySuffix, threadActivity } from './browser.mjs';
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
const marks = events.filter((e) => e.cat?.includes('user_timing') && ['ready', 'backend', 'race complete'].includes(e.name));
const ready = marks.find((e) => e.name === 'ready')?.ts;
for (const m of marks) console.log(`${m.name} at ${((m.ts - ready) / 1000).toFixed(0)} ms`);
const BIN = 500_000, from = ready - 4 * BIN, bins = 16;
const per = new Map(); // thread → busy µs per bin
for (let i = 0; i < bins; i++) {
  for (const t of threadActivity(events, from + i * BIN, from + (i + 1) * BIN)) {
    (per.get(t.key) ?? per.set(t.key, { t, bins: new Array(bins).fill(0) }).get(t.key)).bins[i] = t.busy;
  }
}
const early = new Map(threadActivity(events, ready, ready + 6 * BIN).map((t) => [t.key, t.ran]));
const rows = [...per.values()].map(({ t, bins: b }) => {
  const top = [...(early.get(t.key) ?? [])].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([n, us]) => `${n} ${(us / 1000).toFixed(0)}`).join(', ');
  return [b.reduce((x, y) => x + y, 0), `${t.process.slice(0, 8)} ${t.thread.slice(0, 26).padEnd(26)} ${b.map((us) => String(Math.round(us / 5000)).padStart(3)).join('')}  ${top}`];
});
console.log(`% busy per 500 ms, from 2 s before ready to ${bins / 2 - 2} s after`);
for (const [, r] of rows.sort((a, b) => b[0] - a[0]).slice(0, 16)) console.log(r);
await context.close();
process.exit(0);

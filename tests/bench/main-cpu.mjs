// The page's main-thread CPU (thread time, not wall) while a run trains, by rendering phase, from
// a DevTools trace; CSS=... injects a style first (to try a rule before building it). Add
// --no-gap-monitor: the benchmark's own rAF loop would otherwise draw a frame every vsync.
//   trunk build --release && node tests/bench/main-cpu.mjs DIST [cpu|webgpu] [model] [warm s] [trace s] [--no-gap-monitor]
import { serve, browser, open, waitReady, configure, start, querySuffix, rendererMains } from './browser.mjs';
const [dist, backend = 'cpu', model = 'dense', warm = '4', span = '10'] = process.argv.slice(2);
const server = await serve(dist);
const context = await browser();
const page = await open(context, server.url, querySuffix(backend));
await waitReady(page);
if (process.env.CSS) await page.addStyleTag({ content: process.env.CSS });
await configure(page, { model, subset: 10000, epochs: 5 });
await new Promise((ok) => setTimeout(ok, 2000));
await start(page);
await new Promise((ok) => setTimeout(ok, Number(warm) * 1000));
const step = () => page.evaluate(() => Number(document.querySelector('[data-testid="train-state"]')?.dataset.step ?? 0));
const cdp = await context.newCDPSession(page);
const events = [];
cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
const s0 = await step();
await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink,toplevel,v8', transferMode: 'ReportEvents' });
await new Promise((ok) => setTimeout(ok, Number(span) * 1000));
await cdp.send('Tracing.end');
await done;
const s1 = await step();
const [{ evs, tasks: top }] = rendererMains(events);
const sum = (xs, k) => xs.reduce((a, e) => a + (e[k] ?? 0), 0) / 1000;
const phases = ['UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'FireAnimationFrame', 'FunctionCall', 'EventDispatch', 'V8.GC_SCAVENGER', 'MinorGC', 'MajorGC'];
const by = phases.map((p) => `${p} ${sum(evs.filter((e) => e.name === p), 'tdur').toFixed(0)}`);
const frames = evs.filter((e) => e.name === 'WebFrameWidgetImpl::UpdateLifecycle').length;
console.log(`${dist} ${backend} ${model}: steps ${s1 - s0} in ${span} s; main thread cpu ${sum(top, 'tdur').toFixed(0)} ms, wall ${sum(top, 'dur').toFixed(0)} ms, ${top.length} tasks, ${frames} lifecycle updates | ${by.join(' | ')}`);
await context.close();
await server.close?.();
process.exit(0);

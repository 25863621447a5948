import { serveDist, launch } from './harness.mjs';
const server = await serveDist();
const context = await launch();
try {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.log('console', m.text()); });
  for (const [w, h, present] of [[1280, 720, 1], [1920, 1080, 1], [1280, 720, 0]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(`${server.url}?lesson=5&backend=cpu${present ? '&present=1' : ''}`);
    await page.getByTestId('shift-answer').first().waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Move right' }).click();
    await page.getByRole('button', { name: 'Move right' }).click();
    await page.waitForTimeout(1500);
    console.log(w, h, present, await page.evaluate(() => [document.documentElement.scrollHeight, innerHeight]),
      await page.getByTestId('shift-answer').evaluateAll((es) => es.map((e) => [e.dataset.model, e.dataset.class, e.dataset.p])));
    await page.screenshot({ path: `/tmp/shots/inside-${w}-${present}.png` });
  }
} finally { await context.close(); await server.close(); }

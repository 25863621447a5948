// What the persistence and fault tests share: starting a small Dense run, reading the run
// state and what IndexedDB holds.
import { waitFor } from './harness.mjs';

/** A run of `model` on `subset` images (`'all'` or a count) for `epochs`, started; `hidden` and
 * `batch` are set when given. */
export async function train(page, { model, subset, epochs, hidden = null, batch = null }) {
  await page.getByTestId('model-select').selectOption(model);
  if (hidden !== null) await page.getByTestId('hidden-select').selectOption(String(hidden));
  await page.getByTestId('subset-select').selectOption(String(subset));
  if (batch !== null) await page.getByTestId('batch-select').selectOption(String(batch));
  await page.getByTestId('epochs-select').selectOption(String(epochs));
  await page.getByTestId('train-start').click();
}

/** Dense 128 on 1,000 images (16 steps an epoch), started. Tests that act within the run
 * (reload it, pause it, kill its engine) open the page with `?step_ms=N`: each step then takes
 * at least N ms, so the run is still going when they act, however fast the engine (a whole
 * Dense run of 20 epochs takes ~5 s since the engine's per-call overhead went). */
export const trainDense = (page, epochs) => train(page, { model: 'dense', hidden: 128, subset: 1000, epochs });

export const runState = (page) => page.getByTestId('train-state').getAttribute('data-state');

/** What IndexedDB holds: stored run ids and blob keys. */
export const stored = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open('atelier');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('runs')) return resolve({ runs: [], blobs: [] });
    const tx = db.transaction(['runs', 'blobs']);
    const runs = tx.objectStore('runs').getAllKeys();
    const blobs = tx.objectStore('blobs').getAllKeys();
    tx.oncomplete = () => resolve({ runs: runs.result, blobs: blobs.result });
  };
}));

/** Run 1's checkpoint after its first epoch (16 steps of 64), listed and in IndexedDB. */
export async function firstCheckpointStored(page) {
  const run = page.locator('[data-testid="run-item"][data-run-id="1"]');
  await waitFor(page, async () => Number(await run.getAttribute('data-checkpoint-step')) === 16, 120_000, 'a checkpoint');
  await waitFor(page, async () => (await stored(page)).blobs.includes('checkpoint:1'), 30_000, 'the checkpoint stored');
}

/** Run `id` as IndexedDB holds it (its JSON record, parsed), or null. */
export const storedRun = (page, id = 1) => page.evaluate((key) => new Promise((resolve, reject) => {
  const open = indexedDB.open('atelier');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction('runs').objectStore('runs').get(key);
    get.onsuccess = () => resolve(get.result ? JSON.parse(get.result) : null);
    get.onerror = () => reject(get.error);
  };
}), String(id));

/** A fingerprint of the stored blob `key` (its length and a sample of its bytes), or null. */
export const storedFingerprint = (page, key) => page.evaluate((key) => new Promise((resolve, reject) => {
  const open = indexedDB.open('atelier');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction('blobs').objectStore('blobs').get(key);
    get.onsuccess = () => {
      if (!get.result) return resolve(null);
      const bytes = new Uint8Array(get.result.buffer ?? get.result);
      let hash = 0;
      for (let i = 0; i < bytes.length; i += 7) hash = (hash * 31 + bytes[i]) >>> 0;
      resolve(`${bytes.length}:${hash}`);
    };
    get.onerror = () => reject(get.error);
  };
}), key);

/** The value stored under blob key `key` when it is not bytes (a checkpoint's step), or null. */
export const storedValue = (page, key) => page.evaluate((key) => new Promise((resolve, reject) => {
  const open = indexedDB.open('atelier');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction('blobs').objectStore('blobs').get(key);
    get.onsuccess = () => resolve(get.result ?? null);
    get.onerror = () => reject(get.error);
  };
}), key);

/** Writes run `id`'s stored record again with the fields of `patch` replaced. */
export const patchStoredRun = (page, id, patch) => page.evaluate(([key, patch]) => new Promise((resolve, reject) => {
  const open = indexedDB.open('atelier');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const store = open.result.transaction('runs', 'readwrite').objectStore('runs');
    const get = store.get(key);
    get.onsuccess = () => {
      const put = store.put(JSON.stringify({ ...JSON.parse(get.result), ...patch }), key);
      put.onsuccess = () => resolve();
      put.onerror = () => reject(put.error);
    };
    get.onerror = () => reject(get.error);
  };
}), [String(id), patch]);

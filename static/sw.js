// Atelier's service worker: after one visit the app (page, wasm, engine, pre-trained model)
// works with the network off. Network first, so a new version is picked up as soon as it is
// online; the cache is the fallback. The dataset is not handled here: the page keeps it in its
// own Cache API bucket (atelier-data-v1) and reads that first.
const CACHE = 'atelier-app-v1';

// The files the worker loads and the shipped model, which the page's HTML does not name. The
// engine's files are named after the page ↔ engine protocol (`ENGINE_LOADER` in the engine).
const ENGINE = 'atelier-engine-p10';
const EXTRA = [`${ENGINE}_loader.js`, `${ENGINE}.js`, `${ENGINE}_bg.wasm`, 'models/atelier-cnn.safetensors', 'models/atelier-dense.safetensors', 'lesson/shifts.json', 'lesson/recorded.json', 'sw.js'];

// Installing caches the current version at once, so one visit is enough to work offline.
self.addEventListener('install', (event) => event.waitUntil(precache().then(() => self.skipWaiting())));

async function precache() {
  const cache = await caches.open(CACHE);
  const base = new URL('./', self.location.href).href;
  const page = await fetch(base, { cache: 'no-cache' });
  if (!page.ok) return;
  const html = await page.clone().text();
  await cache.put(base, page);
  const named = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !/^(https?:|data:|#)/.test(u));
  await Promise.all([...new Set([...named, ...EXTRA])].map(async (path) => {
    try {
      const response = await fetch(new URL(path, base).href);
      if (response.ok) await cache.put(new URL(path, base).href, await buffered(response));
    } catch { /* offline during install: the next visit caches it */ }
  }));
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('atelier-app-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.endsWith('.gz')) return;
  event.respondWith(networkFirst(event));
});

async function networkFirst(event) {
  const request = event.request;
  const navigation = request.mode === 'navigate';
  // Navigations are cached under the bare page URL, so `?backend=cpu` also works offline; the
  // app's files under their path alone (the engine's loader is asked for with a query naming
  // its fault channel, new for every worker).
  const url = new URL(request.url);
  const key = navigation ? new URL('./', self.location.href).href : url.origin + url.pathname;
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const cached = await caches.match(key, { cacheName: CACHE });
    if (cached) return cached;
    throw error;
  }
  // Caching is best effort and happens beside the answer, never in its way.
  if (response.ok) event.waitUntil(remember(key, response.clone(), navigation));
  return response;
}

async function remember(key, response, navigation) {
  try {
    const cache = await caches.open(CACHE);
    if (navigation) await prune(cache, await response.clone().text());
    await cache.put(key, await buffered(response));
  } catch { /* a full disk or a closed page: the previous copy stays */ }
}

// Headless Chromium 156 refuses to stream a 38 MB body into the cache ("network error"); read
// into memory first, the same response is stored whole.
async function buffered(response) {
  const { status, statusText, headers } = response;
  return new Response(await response.arrayBuffer(), { status, statusText, headers });
}

// Trunk hashes the page's files, so each version has new names: drop hashed files the current
// page no longer references (the hash is a number in hex: 16 digits or fewer), and engines of
// another protocol. The model is not hashed; it is overwritten in place by the network-first
// fetch.
async function prune(cache, html) {
  for (const request of await cache.keys()) {
    const name = new URL(request.url).pathname.split('/').pop();
    const oldPage = /-[0-9a-f]{8,16}(_bg)?\.(js|wasm|css|svg)$/.test(name) && !html.includes(name);
    const oldEngine = name.startsWith('atelier-engine-') && !name.startsWith(ENGINE);
    if (oldPage || oldEngine) await cache.delete(request);
  }
}

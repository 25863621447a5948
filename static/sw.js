// Atelier's service worker: after one visit the app (page, wasm, engine, pre-trained model)
// works with the network off. Network first, so a new version is picked up as soon as it is
// online; the cache is the fallback. The dataset is not handled here: the page keeps it in its
// own Cache API bucket (atelier-data-v1) and reads that first.
const CACHE = 'atelier-app-v1';

// The files the worker loads and the shipped model, which the page's HTML does not name.
const EXTRA = ['atelier-engine_loader.js', 'atelier-engine.js', 'atelier-engine_bg.wasm', 'models/atelier-cnn.bpk', 'sw.js'];

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
      if (response.ok) await cache.put(new URL(path, base).href, response);
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
  event.respondWith(networkFirst(request));
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  const navigation = request.mode === 'navigate';
  // Navigations are cached under the bare page URL, so `?backend=cpu` also works offline.
  const key = navigation ? new URL('./', self.location.href).href : request;
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(key, response.clone());
      if (navigation) await prune(cache, await response.clone().text());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}

// Trunk hashes the page's files, so each version has new names: drop hashed files the current
// page no longer references. The worker's files and the model are not hashed; they are
// overwritten in place by the network-first fetch.
async function prune(cache, html) {
  for (const request of await cache.keys()) {
    const name = new URL(request.url).pathname.split('/').pop();
    if (/-[0-9a-f]{16}(_bg)?\.(js|wasm|css|svg)$/.test(name) && !html.includes(name)) await cache.delete(request);
  }
}

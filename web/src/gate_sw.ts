// The gate page's service worker: the page and its assets from the
// network when it answers (so an update arrives), from the cache when it
// does not, so that a gate opens with no network after its first visit.
// gRPC-Web calls (POST) are never touched.
/// <reference lib="webworker" />
// (Type-checked apart from the pages: a worker's globals are not a page's.)
declare const self: ServiceWorkerGlobalScope;
export {};

const CACHE = "expopass-gate";
const FILES = ["./", "gate.js", "gate.css", "manifest.webmanifest", "icon.svg"];

self.addEventListener("install", (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (e) => {
  e.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/gate/")) return;
  e.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return res;
      })
      .catch(async () => (await caches.match(req, { ignoreSearch: true })) ?? Response.error()),
  );
});

// Service worker of the mobile app (scope /m/): the app shell is precached at install and served
// cache-first, so the app opens without a network. API answers (/api/) are never cached here: they go
// to the network as they are (the app keeps its own offline copies in IndexedDB).
// A new release changes VERSION: the new worker caches the new shell, then deletes the old caches.

const VERSION = "2026.05-1"; // bump with every change of a shell file (and VERSION in js/app.js): phones refresh then
const CACHE = `park-m-shell-${VERSION}`;
const SHELL = [
  "/m/",
  "/m/index.html",
  "/m/app.css",
  "/m/manifest.webmanifest",
  "/m/icons/icon-192.png",
  "/m/icons/icon-512.png",
  "/m/icons/maskable-512.png",
  "/m/js/app.js",
  "/m/js/codes.js",
  "/m/js/hazards.js",
  "/m/js/inspect.js",
  "/m/js/outbox.js",
  "/m/js/store.js",
  "/m/js/ui.js",
  "/m/js/util.js",
  "/shared/api.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("park-m-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return; // network, never cached
  if (request.mode === "navigate" && url.pathname.startsWith("/m/")) {
    // Every page of the app is the one shell (the screens are in the #hash).
    event.respondWith(caches.match("/m/index.html").then((hit) => hit || fetch(request)));
    return;
  }
  const path = url.pathname;
  if (!SHELL.includes(path)) return;
  event.respondWith(caches.match(path).then((hit) => hit || fetch(request)));
});

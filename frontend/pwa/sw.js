// The service worker: keeps the app shell (index.html, the built scripts and styles, the manifest and icons)
// so the app opens without network; the upload queue (IndexedDB, in the page) does the rest offline.
// Written into dist/sw.js by pwa/plugin.ts, which fills in the build's version and its file list: a new build
// is a new cache, and the old ones are deleted when it takes over. /api and socket.io are never cached
// (a person's data must not outlive their session in a cache, and they must be fresh).
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const PREFIX = "fapiao-shell-";
const CACHE = PREFIX + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function passesThrough(url) {
  return url.origin !== self.location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/socket.io/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || passesThrough(url)) return; // the network, untouched
  if (request.mode === "navigate") {
    // The network first (a new build shows at once); without network, the shell from the cache.
    event.respondWith(fetch(request).catch(() => caches.open(CACHE).then((cache) => cache.match("/"))));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(url.pathname)).then((hit) => hit || fetch(request)));
  }
});

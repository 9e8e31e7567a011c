// The visit form's service worker (served at /monthly/sw.js, scope /monthly/): keeps the last
// copy of the form page and the files it needs, so that the form opens without a connection;
// everything else goes to the network as usual. Visits themselves wait in IndexedDB
// (monthly.js), never here.
const CACHE = "luoshi-monthly-v1";
const FORM = "/monthly/visit/";

self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isForm = url.pathname === FORM;
  const isStatic = url.pathname.startsWith("/static/") && event.request.referrer.includes(FORM);
  if (!isForm && !isStatic) return;
  // network first (fresh targets and token), the kept copy when there is no connection
  event.respondWith(
    fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(isForm ? FORM : request, copy));
      }
      return response;
    }).catch(() => caches.match(isForm ? FORM : request).then((hit) => hit || Response.error()))
  );
});

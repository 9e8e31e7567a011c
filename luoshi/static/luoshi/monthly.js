// The visit form (monthly/visit_form.html): each visit is first kept on the phone (IndexedDB,
// photos included) with a key generated here, then sent; without a connection it waits and is
// sent when the connection returns. The server stores a key once, so a visit sent twice (a
// reply lost on the way back) is still one visit. Statuses: 待发送 / 已发送 / 未能发送.
(() => {
  const form = document.getElementById("visit-form");
  if (!form) return;
  // one outbox per account: a phone shared by two cadres never sends one's visits as the other
  const DB = `luoshi-monthly-${form.dataset.user}`, STORE = "outbox";
  const box = document.querySelector("[data-testid=outbox]");
  const card = document.querySelector("[data-testid=outbox-card]");
  const status = form.querySelector("[data-status]");
  const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
  let sending = false;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  function localNow() {
    const d = new Date(); d.setSeconds(0, 0);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }
  function open() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function tx(mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(result && result.result !== undefined ? result.result : result);
      t.onerror = () => reject(t.error);
    });
  }
  const all = () => tx("readonly", (s) => s.getAll());
  const put = (entry) => tx("readwrite", (s) => s.put(entry));

  async function render() {
    const entries = (await all()).sort((a, b) => b.savedAt - a.savedAt).slice(0, 20);
    card.hidden = entries.length === 0;
    box.replaceChildren(...entries.map((e) => {
      const row = document.createElement("div");
      row.className = "list-group-item d-flex gap-2 align-items-center";
      row.dataset.key = e.key;
      const label = document.createElement("span");
      label.textContent = `${e.targetName} · ${e.when.replace("T", " ")}`;
      const badge = document.createElement("span");
      badge.dataset.testid = "outbox-state";
      badge.className = "badge ms-auto " + ({ sent: "bg-green-lt", refused: "bg-red-lt" }[e.state] || "bg-orange-lt");
      badge.textContent = { sent: "已发送", refused: `未能发送：${e.reason}` }[e.state] || "待发送";
      row.append(label, badge);
      return row;
    }));
  }

  async function send(entry) {
    const body = new FormData();
    body.append("key", entry.key);
    body.append("target", entry.target);
    body.append("visited_at", entry.visitedAt);
    body.append("asked", entry.asked);
    for (const [kind, text] of entry.findings) { body.append("finding_kind", kind); body.append("finding_text", text); }
    for (const photo of entry.photos) body.append("photos", photo, photo.name || "photo.jpg");
    let response;
    try {
      response = await fetch(form.dataset.outboxUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": token, "X-Requested-With": "luoshi-offline" },
      });
    } catch (_) { return false; }  // no connection: stays 待发送
    let answer = null;
    if (!response.redirected && (response.headers.get("Content-Type") || "").includes("json")) {
      try { answer = await response.json(); } catch (_) { answer = null; }
    }
    if ((response.status === 200 || response.status === 201) && answer && answer.visit) {
      Object.assign(entry, { state: "sent", photos: [] });
    } else if (response.status >= 400 && response.status < 500 && answer && answer.detail) {
      Object.assign(entry, { state: "refused", reason: answer.detail, photos: [] });
    } else if (response.status === 404) {
      Object.assign(entry, { state: "refused", reason: "走访对象不存在或不在您的范围内", photos: [] });
    } else {
      // signed out (a redirect to the login page), a stale form token, the server unavailable:
      // kept, and sent again later
      status.textContent = response.redirected || response.status === 403
        ? "登录已过期，请重新登录，待发送的走访会自动发送" : "服务器暂时不可用，稍后自动重试";
      return false;
    }
    await put(entry);
    return true;
  }

  async function flush() {
    if (sending || !navigator.onLine) return;
    sending = true;
    try {
      for (const entry of await all()) {
        if (entry.state === "pending" && !(await send(entry))) break;
      }
    } finally { sending = false; }
    await render();
  }

  function reset() {
    form.reset();
    form.elements.key.value = newKey();
    form.querySelector("[data-when]").value = localNow();
    form.querySelectorAll("[data-finding]").forEach((r) => r.remove());
  }

  form.querySelector("[data-add-finding]").addEventListener("click", (event) => {
    const row = document.getElementById("finding-row").content.cloneNode(true);
    event.target.before(row);
  });
  const select = form.elements.target;
  document.getElementById("v-filter").addEventListener("input", (event) => {
    const text = event.target.value.trim();
    for (const option of select.options) option.hidden = text !== "" && !option.text.includes(text);
    const first = [...select.options].find((o) => !o.hidden);
    if (first && select.selectedOptions[0] && select.selectedOptions[0].hidden) select.value = first.value;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!select.value) { status.textContent = "请选择走访对象"; return; }
    const when = form.querySelector("[data-when]").value || localNow();
    const findings = [...form.querySelectorAll("[data-finding]")]
      .map((r) => [r.querySelector("[name=finding_kind]").value, r.querySelector("[name=finding_text]").value.trim()])
      .filter(([, text]) => text);
    const entry = {
      key: form.elements.key.value, target: select.value,
      targetName: select.selectedOptions[0].dataset.name || select.selectedOptions[0].text,
      when, visitedAt: new Date(when).toISOString(), asked: form.elements.asked.value,
      findings, photos: [...form.elements.photos.files].slice(0, 3),
      state: "pending", savedAt: Date.now(),
    };
    await put(entry);
    status.textContent = navigator.onLine ? "已保存，正在发送…" : "已保存在本机，恢复网络后自动发送";
    reset();
    await render();
    await flush();
  });
  window.addEventListener("online", flush);
  setInterval(flush, 15000);
  if ("serviceWorker" in navigator && form.dataset.worker) {
    navigator.serviceWorker.register(form.dataset.worker, { scope: "/monthly/" }).catch(() => {});
  }
  reset();
  render().then(flush);
})();

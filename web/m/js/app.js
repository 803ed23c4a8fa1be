// The mobile app (园区安全巡查): log-in, the shell (top bar with what is waiting to upload, offline banner,
// bottom tab bar), the router, 待上传 / 通知 / 我的, and the service worker registration.

import { login, logout } from "/shared/api.js";
import * as outbox from "./outbox.js";
import { ROLES } from "./codes.js";
import { endScreen, hazardForm, inspectHome, startScreen } from "./inspect.js";
import { hazardDetail, hazardList } from "./hazards.js";
import { api, cached, claimScreen, go, icon, render, setTitle, staleNote, user } from "./ui.js";
import { escapeHtml, formatTime, sizeLabel, toast } from "./util.js";

export const VERSION = "2026.05-1"; // the same as in sw.js

const TABS = {
  inspector: [
    ["#/inspect", "巡查", "clipboard"],
    ["#/hazards", "隐患", "warning"],
    ["#/outbox", "待上传", "upload"],
    ["#/notices", "通知", "bell"],
    ["#/me", "我的", "user"],
  ],
  enterprise: [
    ["#/hazards", "我的隐患", "warning"],
    ["#/hazard-new", "自查上报", "plus"],
    ["#/outbox", "待上传", "upload"],
    ["#/notices", "通知", "bell"],
    ["#/me", "我的", "user"],
  ],
  other: [
    ["#/hazards", "隐患", "warning"],
    ["#/notices", "通知", "bell"],
    ["#/me", "我的", "user"],
  ],
};

function tabsFor(role) {
  return TABS[role] || TABS.other;
}

function home() {
  return tabsFor(user()?.role)[0][0];
}

// ---- the shell: tab bar, badges, offline banner ----

function drawTabs() {
  const nav = document.getElementById("tabs");
  const me = user();
  nav.hidden = !me;
  if (!me) return;
  const tabs = tabsFor(me.role);
  nav.style.setProperty("--tabs", tabs.length);
  nav.innerHTML = tabs
    .map(
      ([hash, text, name]) => `<a href="${hash}" data-testid="tab-${hash.slice(2)}" data-tab="${hash}">
        ${icon(name)}<span>${text}</span>${hash === "#/outbox" ? '<b class="badge-dot" data-role="tab-pending" hidden></b>' : ""}
        ${hash === "#/notices" ? '<b class="badge-dot" data-role="tab-unread" hidden></b>' : ""}</a>`,
    )
    .join("");
  markTab();
}

function markTab() {
  const current = location.hash.split("?")[0] || home();
  for (const a of document.querySelectorAll("#tabs a")) {
    const tab = a.dataset.tab;
    const on = current === tab || (tab === "#/hazards" && current.startsWith("#/hazard/")) ||
      (tab === "#/inspect" && ["#/start", "#/end", "#/hazard-new"].some((p) => current.startsWith(p)));
    a.classList.toggle("on", on);
    if (on) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

let lastSignature = null;

// Which entries are waiting: a screen drawn from the outbox is stale once this changes.
function signature(entries) {
  return outbox.waiting(entries).map((e) => `${e.seq}:${e.state}`).join(",");
}

function passiveScreen() {
  return Boolean(document.querySelector("[data-testid=active-inspection], [data-testid=hazard-queued]"));
}

async function drawStatus() {
  const state = outbox.status();
  const offline = !state.online;
  document.getElementById("offline-banner").hidden = !offline;
  document.body.classList.toggle("offline", offline);
  const chip = document.getElementById("pending-chip");
  if (!user()) {
    chip.hidden = true;
    return;
  }
  const entries = await outbox.list();
  const waiting = outbox.waiting(entries);
  const failed = waiting.filter((e) => e.state === "failed").length;
  const n = waiting.length;
  chip.hidden = false;
  chip.classList.toggle("zero", n === 0);
  chip.classList.toggle("failed", failed > 0);
  chip.classList.toggle("busy", state.running && n > 0);
  document.getElementById("pending-label").textContent = n ? (failed ? "上传失败" : "待上传") : "已全部上传";
  const count = document.getElementById("pending-count");
  count.textContent = String(n);
  count.dataset.count = String(n);
  count.hidden = n === 0;
  const dot = document.querySelector("[data-role=tab-pending]");
  if (dot) {
    dot.textContent = String(n);
    dot.hidden = n === 0;
  }
  // A screen that only shows state (no form being filled) follows the outbox.
  const now = signature(entries);
  if (lastSignature !== null && now !== lastSignature && passiveScreen()) route();
  lastSignature = now;
  if (location.hash.startsWith("#/outbox")) drawOutboxList(entries);
}

async function pollUnread() {
  if (!user() || !navigator.onLine) return;
  try {
    const body = await api("notifications", { query: { per_page: 1, unread: true } });
    const dot = document.querySelector("[data-role=tab-unread]");
    if (dot) {
      dot.textContent = String(body.unread);
      dot.hidden = !body.unread;
    }
  } catch (err) {
    /* the banner already tells when the network is down */
  }
}

// ---- screens of this module ----

function loginScreen() {
  claimScreen();
  setTitle("园区安全巡查");
  render(
    `<section class="login">
      <div class="brand"><img src="/m/icons/icon-192.png" alt="" width="72" height="72">
        <h2>园区安全巡查</h2><p>网格员巡查 · 企业隐患整改</p></div>
      <form id="login-form" class="card" novalidate>
        <label>用户名<input name="username" autocomplete="username" autocapitalize="off" required data-testid="login-username"></label>
        <label>密码<input type="password" name="password" autocomplete="current-password" required data-testid="login-password"></label>
        <p class="error" data-testid="login-error" hidden></p>
        <p class="note" id="login-waiting" hidden></p>
        <button class="primary block" data-testid="login-submit">登录</button>
      </form>
    </section>`,
  );
  outbox.othersCount().then((n) => {
    const box = document.getElementById("login-waiting");
    if (box && n) {
      box.hidden = false;
      box.textContent = `手机上还有 ${n} 项记录未上传，登录原账号后会自动上传。`;
    }
  });
  const form = document.getElementById("login-form");
  const error = form.querySelector("[data-testid=login-error]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    error.hidden = true;
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      error.textContent = "请输入用户名和密码";
      error.hidden = false;
      return;
    }
    button.disabled = true;
    button.textContent = "正在登录…";
    try {
      await login(username, password);
      outbox.noteNetwork(true);
    } catch (err) {
      error.textContent = outbox.isNetworkError(err) ? "网络不可用，请联网后登录" : err.message;
      error.hidden = false;
      button.disabled = false;
      button.textContent = "登录";
      return;
    }
    drawTabs();
    outbox.sync({ force: true });
    pollUnread();
    go(home());
  });
}

const STATE_TEXT = {
  held: ["检查进行中，登记隐患或结束检查后上传", "held"],
  pending: ["等待上传", "wait"],
  failed: ["上传失败", "failed"],
};

async function outboxScreen() {
  claimScreen();
  setTitle("待上传");
  render(
    `<p class="note" id="sync-state" data-testid="sync-state"></p>
     <ul class="list" id="outbox-list" data-testid="outbox-list"></ul>
     <p class="note">记录先保存在手机上，联网后按顺序自动上传；重复上传不会产生重复记录。</p>`,
    `<button class="primary" id="sync-now" data-testid="sync-now">${icon("upload")} 立即上传</button>`,
  );
  document.getElementById("sync-now").onclick = () => {
    if (!navigator.onLine) toast("当前离线，联网后会自动上传", "error");
    outbox.sync({ force: true });
  };
  document.getElementById("outbox-list").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-act]");
    if (!button) return;
    const seq = Number(button.dataset.seq);
    try {
      if (button.dataset.act === "retry") await outbox.retry(seq);
      if (button.dataset.act === "delete") {
        const ok = confirm("删除这条未上传的记录？已上传到服务器的部分不受影响。");
        if (ok) await outbox.remove(seq);
      }
    } catch (err) {
      toast(err.message, "error");
    }
  });
  drawOutboxList(await outbox.list());
}

function drawOutboxList(entries) {
  const list = document.getElementById("outbox-list");
  if (!list) return;
  const state = outbox.status();
  const waiting = outbox.waiting(entries);
  const syncState = document.getElementById("sync-state");
  const failed = waiting.filter((e) => e.state === "failed").length;
  let text = "全部记录已上传";
  if (!state.online) text = "当前离线：联网后自动上传";
  else if (state.running) text = "正在上传…";
  else if (waiting.length && failed === waiting.length) text = "上传失败的记录需要处理：查看原因后重试或删除";
  else if (waiting.length && state.retryAt > Date.now()) {
    text = `网络不稳定，${Math.ceil((state.retryAt - Date.now()) / 1000)} 秒后自动重试`;
  } else if (waiting.length) text = "等待上传";
  syncState.textContent = text;
  if (!entries.length) {
    list.innerHTML = `<li class="empty">${icon("check")}<span>没有待上传的记录</span></li>`;
    return;
  }
  const failedUuids = new Set(entries.filter((e) => e.state === "failed").map((e) => e.uuid));
  list.innerHTML = entries
    .map((e) => {
      const sending = state.active && state.active.seq === e.seq;
      let [text, cls] = sending ? [`正在上传${state.active.step ? `：${state.active.step}` : ""}`, "busy"] : STATE_TEXT[e.state] || [e.state, ""];
      if (!sending && e.state === "pending" && e.needs && failedUuids.has(e.needs)) [text, cls] = ["等待所属检查记录", "failed"];
      const photos = e.photos || [];
      const done = photos.filter((p) => p.done).length;
      const bytes = photos.filter((p) => !p.done).reduce((sum, p) => sum + (p.size || 0), 0);
      const retrying = e.state === "pending" && e.attempts ? `（已重试 ${e.attempts} 次：${escapeHtml(e.error || "")}）` : "";
      return `<li class="card entry" data-testid="outbox-item" data-state="${sending ? "sending" : e.state}" data-kind="${e.kind}">
        <div class="entry-head"><b>${escapeHtml(e.title)}</b><span class="state ${cls}">${text}</span></div>
        <small>${escapeHtml(e.detail || "")}${photos.length ? ` · 照片 ${done}/${photos.length}${bytes ? `（${sizeLabel(bytes)} 待传）` : ""}` : ""}
          · 保存于 ${formatTime(e.saved_at)}</small>
        ${retrying ? `<small class="muted">${retrying}</small>` : ""}
        ${e.state === "failed" ? `<p class="error" data-testid="outbox-error">${escapeHtml(e.error || "")}</p>
          <div class="row-actions"><button class="secondary" data-act="delete" data-seq="${e.seq}">删除</button>
          <button class="primary" data-act="retry" data-seq="${e.seq}">重试</button></div>` : ""}
      </li>`;
    })
    .join("");
}

async function noticesScreen() {
  const gone = claimScreen();
  setTitle("通知");
  render('<div id="stale"></div><ul class="list" id="notice-list" data-testid="notice-list"><li class="muted">正在加载…</li></ul>');
  const list = document.getElementById("notice-list");
  const staleBox = document.getElementById("stale");
  let result;
  try {
    result = await cached("notifications", () => api("notifications", { query: { per_page: 50 } }));
  } catch (err) {
    list.innerHTML = `<li class="error">${escapeHtml(err.message)}</li>`;
    return;
  }
  if (gone()) return;
  staleBox.innerHTML = staleNote(result);
  const items = result.data?.items || [];
  list.innerHTML = items.length
    ? items
        .map(
          (n) => `<li><button class="item notice-item ${n.read ? "read" : "unread"}" data-id="${n.id}" data-hazard="${n.hazard_id || ""}" data-testid="notice-item">
            <span class="name">${n.read ? "" : '<i class="dot"></i>'}${escapeHtml(n.title)}</span>
            <span class="sub">${escapeHtml(n.body || "")}</span>
            <span class="meta">${formatTime(n.created_at)}</span></button></li>`,
        )
        .join("")
    : `<li class="muted">${result.data ? "暂无通知" : "离线，且没有缓存的通知"}</li>`;
  list.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-id]");
    if (!button) return;
    if (button.classList.contains("unread")) {
      try {
        await api(`notifications/${button.dataset.id}/read`, { method: "POST" });
        button.classList.replace("unread", "read");
        button.querySelector(".dot")?.remove();
        pollUnread();
      } catch (err) {
        if (!outbox.isNetworkError(err)) toast(err.message, "error");
      }
    }
    if (button.dataset.hazard) go(`#/hazard/${button.dataset.hazard}`);
  });
}

async function meScreen() {
  const gone = claimScreen();
  const me = user();
  const waiting = outbox.waiting(await outbox.list()).length;
  if (gone()) return;
  setTitle("我的");
  render(
    `<section class="card">
      <h2 data-testid="me-name">${escapeHtml(me.display_name || me.username)}</h2>
      <dl><dt>账号</dt><dd>${escapeHtml(me.username)}</dd>
        <dt>身份</dt><dd>${escapeHtml(ROLES[me.role] || me.role)}</dd>
        ${me.grid_ids?.length ? `<dt>网格</dt><dd id="grids">${me.grid_ids.map((g) => `#${g}`).join("、")}</dd>` : ""}
        <dt>版本</dt><dd>${VERSION}</dd></dl>
    </section>`,
    `<button class="danger" id="logout" data-testid="logout">退出登录</button>`,
  );
  if (me.grid_ids?.length) {
    cached("grids", () => api("grids", { query: { per_page: 200 } }))
      .then((result) => {
        const names = (result.data?.items || []).filter((g) => me.grid_ids.includes(g.id)).map((g) => g.name);
        const box = document.getElementById("grids");
        if (box && names.length) box.textContent = names.join("、");
      })
      .catch(() => {});
  }
  document.getElementById("logout").onclick = () => {
    const warn = waiting
      ? `还有 ${waiting} 项记录未上传。退出后它们仍保存在手机上，用同一账号登录后继续上传。确定退出？`
      : "确定退出登录？";
    if (!confirm(warn)) return;
    logout();
    drawTabs();
    go("#/login");
  };
}

// ---- router ----

let routing = 0;

async function route() {
  const ticket = ++routing;
  const [path, query] = (location.hash || "").replace(/^#/, "").split("?");
  const params = new URLSearchParams(query || "");
  const me = user();
  if (!me) {
    drawTabs();
    loginScreen();
    drawStatus();
    return;
  }
  if (!path || path === "/" || path === "/login") {
    go(home());
    return;
  }
  markTab();
  const parts = path.split("/").filter(Boolean);
  const before = signature(await outbox.list());
  if (ticket !== routing) return;
  try {
    if (parts[0] === "inspect" && me.role === "inspector") await inspectHome();
    else if (parts[0] === "start" && me.role === "inspector") await startScreen(parts[1]);
    else if (parts[0] === "end" && me.role === "inspector") await endScreen();
    else if (parts[0] === "hazard-new" && ["inspector", "enterprise"].includes(me.role)) await hazardForm();
    else if (parts[0] === "hazards") await hazardList(params);
    else if (parts[0] === "hazard" && parts[1]) await hazardDetail(parts[1]);
    else if (parts[0] === "outbox") await outboxScreen();
    else if (parts[0] === "notices") await noticesScreen();
    else if (parts[0] === "me") await meScreen();
    else go(home());
  } catch (err) {
    if (ticket === routing) render(`<p class="error">${escapeHtml(err.message || String(err))}</p>`);
    console.warn(err);
  }
  if (ticket !== routing) return;
  // The outbox moved while this screen was being drawn from it: draw it again.
  if (passiveScreen() && signature(await outbox.list()) !== before && ticket === routing) {
    route();
    return;
  }
  drawStatus();
}

// ---- start ----

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch((err) => console.warn("service worker", err));
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (hadController) toast("应用已更新，下次打开时生效");
  });
}

function boot() {
  document.getElementById("pending-chip").addEventListener("click", () => go("#/outbox"));
  outbox.events.addEventListener("change", () => drawStatus());
  window.addEventListener("hashchange", route);
  window.addEventListener("park:logged-out", () => {
    toast("登录已过期，请重新登录", "error");
    drawTabs();
    route();
  });
  window.addEventListener("online", pollUnread);
  drawTabs();
  route();
  outbox.start();
  pollUnread();
  setInterval(pollUnread, 60000);
  registerServiceWorker();
  // Photos waiting in the outbox must survive storage pressure: ask for persistent storage.
  navigator.storage?.persist?.().catch(() => {});
}

boot();

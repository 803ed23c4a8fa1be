// The office dashboard (安监办工作台): log-in page, page frame and hash routing.
// Routes: #/ (总览), #/hazards?… (隐患列表, filters in the query), #/hazards/ID (隐患详情), #/briefs (通报).
// A view is `async (ctx) => handle`, where the handle may have `update(params)` (same view, new query)
// and `destroy()` (charts, timers); `ctx.alive()` is false once the user has gone elsewhere.

import { login, logout, session } from "/shared/api.js";
import { briefsView } from "./briefs.js";
import { setupCharts } from "./charts.js";
import { DASHBOARD_ROLES, ROLES, errorText, esc } from "./common.js";
import { dashboardView } from "./dashboard.js";
import { hazardView } from "./hazard.js";
import { hazardsView } from "./hazards.js";

const root = document.getElementById("app");

const ROUTES = [
  { name: "dashboard", pattern: /^\/?$/, view: dashboardView, title: "总览" },
  { name: "hazards", pattern: /^\/hazards$/, view: hazardsView, title: "隐患列表" },
  { name: "hazard", pattern: /^\/hazards\/(\d+)$/, view: hazardView, title: "隐患详情", nav: "hazards" },
  { name: "briefs", pattern: /^\/briefs$/, view: briefsView, title: "通报" },
];

const NAV = [
  { name: "dashboard", href: "#/", label: "总览" },
  { name: "hazards", href: "#/hazards", label: "隐患列表" },
  { name: "briefs", href: "#/briefs", label: "会议通报", roles: ["office", "leader"] },
];

let current = null; // {route, path, handle, token}
let renderToken = 0;
let pagesShown = 0; // pages shown since the dashboard was opened: "back" stays inside the app

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path: path || "/", params: new URLSearchParams(query) };
}

function findRoute(path) {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) return { route, match };
  }
  return null;
}

// -- log-in page -------------------------------------------------------------------------------------

function renderLogin(notice = "") {
  destroyCurrent();
  document.title = "登录 · 安监办工作台";
  root.innerHTML = `
    <div class="login-page">
      <section class="login-card" aria-labelledby="login-title">
        <div class="login-brand">
          <span class="brand-mark" aria-hidden="true">安</span>
          <div>
            <h1 id="login-title">园区安全生产隐患排查治理</h1>
            <p class="login-subtitle">安监办工作台 · 请登录</p>
          </div>
        </div>
        ${notice ? `<div class="notice notice-info" role="status">${esc(notice)}</div>` : ""}
        <form id="login-form" data-testid="login-form" novalidate>
          <label class="field">
            <span>用户名</span>
            <input name="username" autocomplete="username" required data-testid="login-username">
          </label>
          <label class="field">
            <span>密码</span>
            <input name="password" type="password" autocomplete="current-password" required
                   data-testid="login-password">
          </label>
          <div class="login-error" role="alert" aria-live="assertive" data-testid="login-error" hidden></div>
          <button type="submit" class="button button-primary button-block" data-testid="login-submit">登录</button>
        </form>
        <p class="login-hint">网格员和企业安全管理人员请使用手机端：<a href="/m/">/m/</a></p>
      </section>
    </div>`;
  const form = root.querySelector("#login-form");
  form.username.focus();
  const errorEl = root.querySelector("[data-testid=login-error]");
  const showError = (html) => {
    errorEl.innerHTML = html;
    errorEl.hidden = false;
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      showError("请输入用户名和密码。");
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "正在登录…";
    errorEl.hidden = true;
    try {
      const value = await login(username, password);
      if (!DASHBOARD_ROLES.includes(value.user.role)) {
        logout(); // this page is for the office, leaders and administrators only
        const role = ROLES[value.user.role] || value.user.role;
        showError(
          `${esc(role)}账号请使用手机端登录：<a href="/m/" data-testid="mobile-link">打开手机端（/m/）</a>。` +
            "本工作台仅供安监办、管委会领导和系统管理员使用。",
        );
        return;
      }
      start();
    } catch (error) {
      showError(esc(errorText(error)));
      form.password.select();
    } finally {
      button.disabled = false;
      button.textContent = "登录";
    }
  });
}

// -- frame -------------------------------------------------------------------------------------------

function renderFrame() {
  const user = session().user;
  const name = user.display_name || user.username;
  root.innerHTML = `
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand" href="#/" aria-label="园区安全生产隐患排查治理 · 总览">
          <span class="brand-mark" aria-hidden="true">安</span>
          <span class="brand-text">
            <strong>园区安全生产隐患排查治理</strong>
            <small>安监办工作台</small>
          </span>
        </a>
        <nav class="mainnav" aria-label="主导航">
          ${NAV.filter((item) => !item.roles || item.roles.includes(user.role)).map((item) => `<a href="${item.href}" data-nav="${item.name}" data-testid="nav-${item.name}">${esc(item.label)}</a>`).join("")}
        </nav>
        <div class="userbox">
          <span class="user-name" data-testid="user-name">${esc(name)}</span>
          <span class="user-role">${esc(user.role_label || ROLES[user.role] || user.role)}</span>
          <button type="button" class="button button-ghost" data-testid="logout">退出</button>
        </div>
      </div>
    </header>
    <main id="view" class="page" tabindex="-1"></main>
    <footer class="footer">数据来自园区安全巡查系统 · 统计口径见《产品说明》统计定义 · 园区时间（北京时间）</footer>`;
  root.querySelector("[data-testid=logout]").addEventListener("click", () => {
    logout(); // the address stays: logging in again comes back to this page
    renderLogin("您已退出登录。");
  });
}

function markNav(name) {
  for (const link of root.querySelectorAll(".mainnav a")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function destroyCurrent() {
  if (current && current.handle && current.handle.destroy) {
    try {
      current.handle.destroy();
    } catch (e) {
      console.warn(e);
    }
  }
  current = null;
}

async function route() {
  const active = session();
  if (!active) {
    renderLogin();
    return;
  }
  if (!DASHBOARD_ROLES.includes(active.user.role)) {
    // e.g. an inspector logged in on the mobile app of the same site: leave that session alone
    const role = ROLES[active.user.role] || active.user.role;
    renderLogin(`当前登录的是${role}账号，请使用手机端（/m/）；或在此用安监办、领导账号登录。`);
    return;
  }
  if (!root.querySelector("#view")) renderFrame();
  const { path, params } = parseHash();
  const found = findRoute(path);
  if (!found) {
    location.replace("#/");
    return;
  }
  const { route: target, match } = found;
  markNav(target.nav || target.name);
  document.title = `${target.title} · 安监办工作台`;
  // The same page with another query (filters, page number): let the view update itself.
  if (current && current.route === target && current.path === path && current.handle && current.handle.update) {
    current.handle.update(params);
    return;
  }
  destroyCurrent();
  const token = ++renderToken;
  const el = root.querySelector("#view");
  el.innerHTML = "";
  el.dataset.view = target.name;
  window.scrollTo(0, 0);
  const entry = { route: target, path, handle: null, token };
  current = entry;
  pagesShown += 1;
  const ctx = { el, params, match, canGoBack: pagesShown > 1, alive: () => current === entry && renderToken === token };
  try {
    entry.handle = (await target.view(ctx)) || null;
    if (!ctx.alive() && entry.handle && entry.handle.destroy) entry.handle.destroy();
  } catch (error) {
    if (ctx.alive()) el.innerHTML = `<div class="notice notice-error" role="alert">${esc(errorText(error))}</div>`;
  }
}

function start() {
  root.innerHTML = "";
  route();
}

window.addEventListener("hashchange", route);
window.addEventListener("park:logged-out", () => renderLogin("登录已过期，请重新登录。"));
setupCharts();
start();

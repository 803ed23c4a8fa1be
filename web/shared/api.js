// The API client shared by the office dashboard and the mobile app (an ES module, no build step).
// It keeps the session (token and user) in localStorage, sends the Bearer token, and turns every
// non-2xx answer into an ApiError carrying the API's own `message` (Chinese by default) and `errors`.

const SESSION_KEY = "park.session";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.errors = (body && body.errors) || {};
  }
}

export function session() {
  try {
    const value = JSON.parse(localStorage.getItem(SESSION_KEY));
    if (value && value.expires_at > Date.now()) return value;
  } catch (e) { /* a broken entry is no session */ }
  return null;
}

export function saveSession(body) {
  const value = { token: body.access_token, user: body.user, expires_at: Date.now() + body.expires_in * 1000 };
  localStorage.setItem(SESSION_KEY, JSON.stringify(value));
  return value;
}

export function logout() {
  localStorage.removeItem(SESSION_KEY);
}

export function language() {
  return localStorage.getItem("park.lang") || "zh";
}

function url(path, query) {
  const target = new URL(path.startsWith("/") ? path : `/api/v1/${path}`, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(key, value);
  }
  return target;
}

// request("hazards", {query: {...}}) / request("hazards", {method: "POST", json: {...}}) / {form: FormData}
export async function request(path, { method = "GET", query, json, form, raw = false, signal } = {}) {
  const headers = { "Accept-Language": language() };
  const current = session();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  const response = await fetch(url(path, query), { method, headers, body, signal });
  if (response.status === 401 && current) {
    logout();
    window.dispatchEvent(new CustomEvent("park:logged-out"));
  }
  if (!response.ok) {
    let payload = null;
    try { payload = await response.json(); } catch (e) { /* not JSON */ }
    throw new ApiError(response.status, payload);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

export async function login(username, password) {
  const body = await request("auth/token", { method: "POST", json: { username, password } });
  return saveSession(body);
}

// Save a file the API sends (e.g. the ledger) under `filename`.
export async function download(path, query, filename) {
  const response = await request(path, { query, raw: true });
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// The current park quarter, e.g. "2026Q4" (the park is in Asia/Shanghai).
export function parkQuarter(date = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "numeric" })
    .formatToParts(date);
  const year = parts.find((p) => p.type === "year").value;
  const month = Number(parts.find((p) => p.type === "month").value);
  return `${year}Q${Math.floor((month - 1) / 3) + 1}`;
}

export function formatDate(iso, withTime = false) {
  if (!iso) return "—";
  const options = { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" };
  if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit", hour12: false });
  return new Intl.DateTimeFormat("zh-CN", options).format(new Date(iso));
}

export function formatRate(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

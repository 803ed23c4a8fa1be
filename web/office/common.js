// Helpers of the office dashboard: code labels, park-calendar dates, small rendering pieces.
// The API client itself is /shared/api.js (shared with the mobile app); this adds what only the dashboard needs.

import { ApiError, escapeHtml, formatDate, session } from "/shared/api.js";

export const esc = escapeHtml;

// The codes of API.md with their Chinese labels (the API sends labels on records; filters need them up front).
export const STATUSES = { registered: "待整改", awaiting_verification: "待验收", closed: "已销号" };
export const LEVELS = { general: "一般隐患", major: "重大隐患" };
export const SOURCES = { inspection: "检查发现", self_check: "企业自查" };
export const CATEGORIES = {
  fire: "消防安全",
  hazchem: "危险化学品",
  special_equipment: "特种设备",
  electrical: "电气安全",
  confined_space: "有限空间",
  dust: "粉尘防爆",
  construction: "建筑施工",
  occupational: "职业健康",
  traffic: "厂内交通",
  flood: "防汛防台",
  management: "安全管理",
  other: "其他",
};
export const ROLES = { admin: "系统管理员", office: "安监办", leader: "管委会领导", inspector: "网格员", enterprise: "企业" };
export const ACTIONS = {
  registered: "登记",
  rectification_submitted: "提交整改",
  rejected: "验收驳回",
  closed: "验收销号",
  deadline_extended: "延长期限",
  photo_added: "上传照片",
};
export const CHANNELS = { in_app: "站内通知", email: "邮件", sms: "短信", webhook: "群机器人" };
export const DELIVERY = { pending: "待发送", sent: "已发送", failed: "发送失败", held: "暂缓（静默时段）", cancelled: "已取消" };
export const BRIEF_STATUSES = { pending: "生成中", ready: "已生成", failed: "生成失败" };

// Roles that use this dashboard; inspectors and enterprises use the mobile app at /m/.
export const DASHBOARD_ROLES = ["office", "leader", "admin"];

export function currentUser() {
  const current = session();
  return current ? current.user : null;
}

export function hasRole(...roles) {
  const user = currentUser();
  return Boolean(user && roles.includes(user.role));
}

// -- park calendar (Asia/Shanghai) ------------------------------------------------------------------

export function parkToday(date = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "numeric",
    day: "numeric",
  }).formatToParts(date);
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: get("year"), month: get("month"), day: get("day") };
}

export function isoDay(year, month, day) {
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

// "2026-05-31" + 1 → "2026-06-01" (calendar arithmetic on a bare date, no time zone involved).
export function addDays(day, count) {
  const [y, m, d] = day.split("-").map(Number);
  const value = new Date(Date.UTC(y, m - 1, d + count));
  return isoDay(value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate());
}

const QUARTER_NAMES = ["", "一", "二", "三", "四"];

export function quarterLabel(quarter) {
  const match = /^(\d{4})Q([1-4])$/.exec(quarter || "");
  return match ? `${match[1]}年第${QUARTER_NAMES[Number(match[2])]}季度` : quarter;
}

export function previousQuarter(quarter, count = 1) {
  let [year, q] = quarter.split("Q").map(Number);
  for (let i = 0; i < count; i += 1) {
    q -= 1;
    if (q === 0) {
      q = 4;
      year -= 1;
    }
  }
  return `${year}Q${q}`;
}

// -- rendering ---------------------------------------------------------------------------------------

export function statusBadge(status, label) {
  return `<span class="badge status-${esc(status)}">${esc(label || STATUSES[status] || status)}</span>`;
}

export function levelBadge(level, label) {
  return `<span class="badge level-${esc(level)}">${esc(label || LEVELS[level] || level)}</span>`;
}

export function overdueText(hazard) {
  if (!hazard.overdue) return `<span class="muted">—</span>`;
  return `<span class="overdue-days">逾期 ${esc(hazard.days_overdue)} 天</span>`;
}

export function date(iso, withTime = false) {
  return esc(formatDate(iso, withTime));
}

export function errorText(error) {
  if (error instanceof ApiError) {
    if (error.status === 403) return `当前账号无权查看此内容（${error.message}）`;
    return error.message;
  }
  if (error && error.name === "AbortError") return "";
  return "无法连接服务器，请检查网络后重试。";
}

export function errorBox(error) {
  return `<div class="notice notice-error" role="alert">${esc(errorText(error))}</div>`;
}

export function loadingBox(text = "正在加载…") {
  return `<div class="loading" role="status">${esc(text)}</div>`;
}

export function number(value) {
  return value === null || value === undefined ? "—" : Number(value).toLocaleString("zh-CN");
}

// Options of a <select>: [["", "全部"], ["fire", "消防安全"], ...], with `selected` marked.
export function options(pairs, selected) {
  return pairs
    .map(([value, label]) => {
      const mark = String(value) === String(selected ?? "") ? " selected" : "";
      return `<option value="${esc(value)}"${mark}>${esc(label)}</option>`;
    })
    .join("");
}

export function debounce(fn, wait = 250) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

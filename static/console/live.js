// What the agent console and the supervisor page share: the page's config, the REST API (signed in by
// the Django session; writes carry the CSRF token), the live socket (reconnecting with backoff), and
// small DOM and formatting helpers. Plain ES modules: no build step, nothing from a CDN.

export function pageConfig(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "";
    this.body = body;
  }
}

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

function toLogin(loginUrl) {
  location.assign(`${loginUrl}?next=${encodeURIComponent(location.pathname)}`);
}

// One API call: `path` under /api/v1/ (or absolute from /), JSON in and out. Failures throw ApiError
// with the envelope's detail and code; a lost session goes back to the sign-in page.
export function apiClient({ base = "/api/v1/", loginUrl = "/console/login/" } = {}) {
  return async function api(path, { method = "GET", body, query } = {}) {
    const url = new URL(path.startsWith("/") ? path : base + path, location.origin);
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
    }
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    const response = await fetch(url, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { detail: text.slice(0, 200) };
    }
    if (data && data.code === "AUTHENTICATION_ERROR") toLogin(loginUrl);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  };
}

// The live socket: {"event", "data"} messages, a ping every 25 s, and on any loss a reconnect after
// 0.5 s, 1 s, 2 s ... up to 30 s (with jitter, so a restarted server is not hit by every page at
// once). The backoff starts over once the server says "connected". 4401 (signed out) goes to sign in.
export class LiveSocket {
  constructor(path, { onEvent, onState, loginUrl = "/console/login/" }) {
    this.path = path;
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.loginUrl = loginUrl;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.pinger = null;
    this.connect();
    addEventListener("online", () => this.retryNow());
  }

  connect() {
    clearTimeout(this.timer);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.ws = ws;
    this.onState(this.attempt ? "reconnecting" : "connecting");
    ws.onmessage = (message) => {
      let parsed;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      if (parsed.event === "connected") {
        this.attempt = 0;
        this.onState("live");
      }
      if (parsed.event !== "pong") this.onEvent(parsed.event, parsed.data || {});
    };
    ws.onopen = () => {
      this.pinger = setInterval(() => this.send("ping", {}), 25000);
    };
    ws.onclose = (event) => {
      clearInterval(this.pinger);
      if (ws !== this.ws) return;
      if (event.code === 4401) {
        toLogin(this.loginUrl);
        return;
      }
      const delay = Math.min(30000, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
      this.attempt += 1;
      this.onState(event.code === 4403 ? "refused" : "offline", delay);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  retryNow() {
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) this.connect();
  }

  send(event, data) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ event, data }));
    return true;
  }
}

export function showConnection(element, state, delay) {
  const words = {
    connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…",
    offline: `Offline: retrying in ${Math.round((delay || 0) / 1000)} s`, refused: "Not allowed",
  };
  element.dataset.state = state;
  element.textContent = words[state] || state;
}

// DOM and formatting ---------------------------------------------------------------------------------
export const $ = (selector, root = document) => root.querySelector(selector);

// An element with attributes and children (strings become text: nothing is parsed as HTML).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  const kids = children.flat().filter((child) => child !== null && child !== undefined && child !== false);
  element.append(...kids.map((child) => (child instanceof Node ? child : String(child))));
  return element;
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

export function seconds(total) {
  const value = Math.max(0, Math.round(total || 0));
  const hours = Math.floor(value / 3600);
  const minutes = Math.floor((value % 3600) / 60);
  const secs = String(value % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

export function since(isoTime, now = Date.now()) {
  return isoTime ? seconds((now - Date.parse(isoTime)) / 1000) : "–";
}

export function when(isoTime) {
  if (!isoTime) return "–";
  return new Date(isoTime).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

export function words(code) {
  return code ? String(code).replaceAll("_", " ") : "–";
}

export function percent(value) {
  return `${Number(value || 0).toFixed(1)}%`;
}

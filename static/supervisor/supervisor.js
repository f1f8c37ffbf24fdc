// The supervisors' live view: each campaign's counters with the abandon gauge against its cap, the
// calls in progress by campaign and agent (listen, whisper, barge on the human-handled ones), and the
// agents' presence with the time in state (force a break or offline). The first state comes from the
// API; from then on /ws/dashboard/ keeps it live.
import {
  $, LiveSocket, apiClient, h, pageConfig, percent, seconds, showConnection, since, toast, words,
} from "../console/live.js";

const config = pageConfig("supervisor-config");
const api = apiClient({ base: config.urls.api, loginUrl: config.urls.login });
const campaigns = new Map(); // campaignId -> campaign:stats data
const calls = new Map(); // callId -> {id, campaignId, campaign, lead, phone, agentId, agent, status, since, human}
const agents = new Map(); // agentId -> {id, name, status, statusChangedAt, currentCalls}
const LIVE_STATUSES = "initiated,ringing,in_progress";
const HUMAN_PACING = new Set(["progressive", "predictive", "preview"]);

// Campaigns ------------------------------------------------------------------------------------------
function gauge(label, rate, cap) {
  const top = Math.max(cap * 2, rate, 1);
  const level = rate > cap ? "over" : rate >= cap * 0.8 ? "near" : "ok";
  return h("div", { class: `gauge ${level}`, title: `${percent(rate)} abandoned, cap ${percent(cap)}` },
    h("div", { class: "gauge-label" }, h("span", {}, label), h("strong", {}, `${percent(rate)} / ${percent(cap)} cap`)),
    h("div", { class: "gauge-track" },
      h("div", { class: "gauge-fill", style: `width:${Math.min(100, (rate / top) * 100)}%` }),
      h("div", { class: "gauge-cap", style: `left:${(cap / top) * 100}%` })));
}

function figure(name, value, id) {
  return h("div", { dataset: { figure: id } }, h("dt", {}, name), h("dd", {}, value));
}

function campaignCard(stats) {
  const today = stats.today || {};
  const people = stats.agents || {};
  const cap = Number(stats.max_abandon_rate || 3);
  return h("article", { class: "card campaign", dataset: { campaignId: stats.campaignId, status: stats.status } },
    h("header", {}, h("h2", {}, stats.name), h("span", { class: `status ${stats.status}` }, words(stats.status))),
    h("p", { class: "live" }, h("strong", { class: "live-total" }, stats.live?.total ?? 0), " calls live · ",
      `${people.available || 0} available, ${people.on_call || 0} on a call, ${people.break || 0} on a break`),
    h("dl", { class: "figures" },
      figure("Calls today", today.calls ?? 0, "calls"), figure("Answered", today.answered ?? 0, "answered"),
      figure("Abandoned", today.abandoned ?? 0, "abandoned"), figure("Converted", today.converted ?? 0, "converted"),
      figure("Answer rate", percent(today.answer_rate), "answer_rate"),
      figure("Abandon rate", percent(today.abandon_rate), "abandon_rate"),
      figure("Conversion", percent(today.conversion_rate), "conversion_rate"),
      figure("Avg talk", seconds(today.avg_talk_time), "avg_talk_time")),
    gauge("Abandoned, 30 days", Number(stats.abandon_rate_30d || 0), cap),
    gauge("Abandoned, today", Number(today.abandon_rate || 0), cap));
}

function renderCampaign(stats) {
  campaigns.set(stats.campaignId, stats);
  const card = campaignCard(stats);
  const old = document.querySelector(`.campaign[data-campaign-id="${stats.campaignId}"]`);
  if (old) old.replaceWith(card);
  else $("#campaigns").append(card);
  $("#campaigns-empty").hidden = true;
  const shown = [...calls.values()].filter((call) => call.campaignId === stats.campaignId).length;
  const placed = (stats.live?.total ?? 0) - (stats.live?.by_status?.queued ?? 0); // queued: not placed yet
  if (placed !== shown) scheduleCallsRefresh();
}

// Calls ----------------------------------------------------------------------------------------------
function callFromApi(row) {
  return {
    id: row.id, campaignId: row.campaign_id, campaign: row.campaign_name || "–",
    lead: [row.first_name, row.last_name].filter(Boolean).join(" ") || "–", phone: row.phone, agentId: row.agent_id,
    agent: row.agent_name || "", status: row.status, since: row.answer_time || row.ringing_time || row.start_time,
    human: HUMAN_PACING.has(row.pacing_mode) && Boolean(row.agent_id),
  };
}

function monitorButtons(call) {
  if (!call.human || call.status !== "in_progress") return [];
  const disabled = !config.supervisorAgent;
  return ["listen", "whisper", "barge"].map((mode) => h("button", {
    type: "button", class: "small", disabled, dataset: { mode, callId: call.id }, onclick: () => monitor(call.id, mode),
  }, words(mode)));
}

function renderCalls() {
  const rows = [...calls.values()].sort((a, b) => a.campaign.localeCompare(b.campaign) || a.agent.localeCompare(b.agent));
  $("#calls").replaceChildren(...rows.map((call) => h("tr", { dataset: { callId: call.id } },
    h("td", {}, call.campaign), h("td", {}, h("strong", {}, call.lead), h("br"), h("span", { class: "muted" }, call.phone || "")),
    h("td", {}, call.agent || (agents.get(call.agentId)?.name ?? "AI / none")), h("td", {}, words(call.status)),
    h("td", { class: "since", dataset: { since: call.since || "" } }, since(call.since)),
    h("td", { class: "monitor" }, ...monitorButtons(call)))));
  $("#calls-count").textContent = rows.length;
}

async function loadCalls() {
  const data = await api("calls/", { query: { status: LIVE_STATUSES, per_page: 100, ordering: "-created_at" } });
  calls.clear();
  for (const row of data.calls) calls.set(row.id, callFromApi(row));
  renderCalls();
}

let refreshTimer = null;
function scheduleCallsRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    loadCalls().catch(() => {});
  }, 1000);
}

async function monitor(callId, mode) {
  try {
    const result = await api(`calls/${callId}/monitor/`, { method: "POST", body: { mode } });
    toast(result.message || `${words(mode)}: connected`);
  } catch (error) {
    toast(`${words(mode)} refused: ${error.message}`, "error");
  }
}

// Agents ---------------------------------------------------------------------------------------------
function renderAgents() {
  const rows = [...agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  $("#agents").replaceChildren(...rows.map((agent) => h("tr", { dataset: { agentId: agent.id, status: agent.status } },
    h("td", {}, agent.name), h("td", {}, h("span", { class: `presence-badge ${agent.status}` }, words(agent.status))),
    h("td", { class: "since", dataset: { since: agent.statusChangedAt || "" } }, since(agent.statusChangedAt)),
    h("td", {}, agent.currentCalls ? `${agent.currentCalls} on a call` : "–"),
    h("td", { class: "force" }, ...["available", "break", "offline"].filter((status) => status !== agent.status)
      .map((status) => h("button", { type: "button", class: "small", dataset: { force: status },
        onclick: () => forcePresence(agent.id, status) }, words(status)))))));
}

function applyAgent(data) {
  const id = data.agentId || data.id;
  agents.set(id, {
    id, name: data.name, status: data.status, statusChangedAt: data.statusChangedAt ?? data.status_changed_at,
    currentCalls: data.currentCalls ?? data.current_calls ?? 0,
  });
  renderAgents();
}

async function loadAgents() {
  const data = await api("agents/", { query: { kind: "human", is_active: "true", per_page: 100 } });
  agents.clear();
  for (const row of data.agents) applyAgent(row);
}

async function forcePresence(agentId, status) {
  try {
    applyAgent(await api(`agents/${agentId}/status/`, { method: "PUT", body: { status } }));
  } catch (error) {
    toast(`Presence not changed: ${error.message}`, "error");
  }
}

// Live -----------------------------------------------------------------------------------------------
async function loadAll() {
  const [stats] = await Promise.all([api(config.urls.campaigns), loadAgents(), loadCalls()]);
  for (const row of stats.campaigns) renderCampaign(row);
  $("#campaigns-empty").textContent = "No active or paused campaign.";
  $("#campaigns-empty").hidden = stats.campaigns.length > 0;
}

function onEvent(event, data) {
  switch (event) {
    case "connected":
      loadAll().catch((error) => toast(`Could not load the floor: ${error.message}`, "error"));
      break;
    case "campaign:stats":
      renderCampaign(data);
      break;
    case "incoming:call":
      calls.set(data.callId, {
        id: data.callId, campaignId: data.campaignId, campaign: data.campaign || "–",
        lead: [data.first_name, data.last_name].filter(Boolean).join(" ") || "–", phone: data.phone,
        agentId: data.agentId, agent: agents.get(data.agentId)?.name || "", status: "in_progress",
        since: new Date().toISOString(), human: true,
      });
      renderCalls();
      break;
    case "call:ended":
      calls.delete(data.callId);
      renderCalls();
      break;
    case "agent:status:updated":
      applyAgent(data);
      break;
    case "import:progress":
      $("#imports").hidden = false;
      $("#imports").textContent = `Import ${data.importId.slice(0, 8)}: ${words(data.status)}, ${data.rows_processed} rows`;
      break;
    default:
      break;
  }
}

// (Re)connecting reloads everything: what happened while the socket was down is in the API.
new LiveSocket(config.urls.socket, {
  onEvent, loginUrl: config.urls.login, onState: (state, delay) => showConnection($("#connection"), state, delay),
});
setInterval(() => {
  for (const cell of document.querySelectorAll("td.since")) cell.textContent = since(cell.dataset.since);
}, 1000);

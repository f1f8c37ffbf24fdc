// The agent console: presence, the screen pop the moment a call comes (incoming:call on /ws/agent/),
// accept / hang up, the disposition with notes and a callback time, and today's own figures. Every
// write goes through the REST API (session + CSRF) except presence, which goes over the socket
// (agent:status) while it is up and through the API when it is not.
import {
  $, LiveSocket, apiClient, h, pageConfig, seconds, showConnection, since, toast, when, words,
} from "./live.js";

const config = pageConfig("console-config");
const api = apiClient({ base: config.urls.api, loginUrl: config.urls.login });
const agent = { ...config.agent };
const pop = $("#pop");
const form = $("#disposition-form");
let current = null; // the call on screen: {callId, leadId, mode, startedAt, accepted, ended, saved}
let dispositions = new Map(); // code -> {label, callback, sale}
const softphone = { provider: "", device: null, call: null, acceptWhenRings: false };
const LIVE = new Set(["queued", "initiated", "ringing", "in_progress"]);

// Presence -------------------------------------------------------------------------------------------
function applyAgent(data) {
  agent.status = data.status;
  agent.statusChangedAt = data.statusChangedAt ?? data.status_changed_at ?? agent.statusChangedAt;
  $("#presence-status").textContent = words(agent.status);
  for (const button of document.querySelectorAll(".presence button")) {
    button.setAttribute("aria-pressed", String(button.dataset.status === agent.status));
  }
  $("#presence-card").dataset.status = agent.status;
}

function setPresence(status) {
  if (socket.send("agent:status", { agentId: agent.id, status })) return;
  api(`agents/${agent.id}/status/`, { method: "PUT", body: { status } })
    .then(applyAgent)
    .catch((error) => toast(`Presence not changed: ${error.message}`, "error"));
}

// The screen pop -------------------------------------------------------------------------------------
function text(selector, value) {
  $(selector).textContent = value === undefined || value === null || value === "" ? "–" : value;
}

function popCall(data, mode, { startedAt = Date.now() } = {}) {
  const same = current && current.callId === data.callId;
  current = { ...(same ? current : { accepted: false, ended: false, saved: false }), callId: data.callId,
    leadId: data.leadId, mode, startedAt: same ? current.startedAt : startedAt };
  const name = [data.first_name, data.last_name].filter(Boolean).join(" ") || "Unknown caller";
  const history = data.history || {};
  text("#pop-name", name);
  text("#pop-phone", data.phone);
  text("#pop-company", data.company);
  text("#pop-email", data.email);
  text("#pop-campaign", data.campaign);
  text("#pop-stage", words(history.stage));
  text("#pop-attempts", history.attempts);
  text("#pop-last-call", history.last_call_at ? `${when(history.last_call_at)} (${words(history.disposition)})` : "");
  $("#pop-notes").textContent = data.notes || "No notes on this lead yet.";
  const rows = (history.recent_calls || []).map((call) => h("tr", {},
    h("td", {}, when(call.at)), h("td", {}, words(call.outcome)), h("td", {}, words(call.disposition)),
    h("td", {}, call.duration ? seconds(call.duration) : "–"), h("td", {}, call.agent || "–"),
    h("td", { class: "notes" }, call.notes || "")));
  $("#pop-history").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 6 }, "First call."))]));
  // A warm transfer: the AI agent's summary (what the agent heard whispered) and its conversation so far.
  const transcript = data.transcript || [];
  $("#pop-transfer").hidden = !transcript.length;
  $("#pop-whisper").textContent = (data.transfer && data.transfer.whisper) || "";
  $("#pop-transcript").replaceChildren(...transcript.map((line) => h("li", { class: line.speaker },
    h("strong", {}, line.speaker === "agent" ? "AI agent: " : "Lead: "), line.text)));
  $("#pop-idle").hidden = true;
  $("#pop-lead").hidden = false;
  Object.assign(pop.dataset, { callId: data.callId, leadId: data.leadId, shownAt: String(Date.now()) });
  if (!same) resetForm();
  renderCallState();
  document.title = `${mode === "preview" ? "Preview" : "Call"}: ${name} · Console`;
}

function renderCallState() {
  const state = !current ? "idle" : current.ended ? "ended" : current.mode === "preview" ? "preview"
    : current.accepted ? "live" : "incoming";
  pop.dataset.state = state;
  const badge = { incoming: "Incoming call", live: "On call", preview: "Preview: dial or skip", ended: "Call ended" };
  if (current && !current.ended) $("#call-state").textContent = badge[state];
  $("#accept").hidden = !(state === "incoming" || state === "preview");
  $("#accept").textContent = state === "preview" ? "Dial" : "Accept";
  $("#skip").hidden = state !== "preview";
  $("#hangup").hidden = !(state === "incoming" || state === "live");
  const open = Boolean(current) && state !== "preview";
  $("#disposition").disabled = !open || !dispositions.size;
  $("#save-disposition").disabled = !open || !dispositions.size;
  $("#next-call").hidden = !(current && (current.ended || current.saved));
}

function clearPop() {
  current = null;
  $("#pop-idle").hidden = false;
  $("#pop-lead").hidden = true;
  delete pop.dataset.callId;
  delete pop.dataset.leadId;
  resetForm();
  renderCallState();
  document.title = "Console · LeadVoice";
}

function callEnded(data) {
  current.ended = true;
  const length = data.duration ? ` after ${seconds(data.duration)}` : "";
  $("#call-state").textContent = `Call ended: ${words(data.outcome)}${length}`;
  renderCallState();
}

async function accept() {
  if (!current) return;
  if (current.mode === "preview") {
    try {
      await api(`calls/${current.callId}/accept/`, { method: "POST" });
      current.mode = "incoming";
      $("#call-state").textContent = "Dialing…";
    } catch (error) {
      toast(`Not dialed: ${error.message}`, "error");
    }
    renderCallState();
    return;
  }
  if (softphone.provider === "twilio") {
    if (softphone.call) softphone.call.accept();
    else softphone.acceptWhenRings = true; // the softphone leg rings a moment after the pop
  }
  current.accepted = true;
  renderCallState();
}

async function skip() {
  if (!current) return;
  try {
    await api(`calls/${current.callId}/skip/`, { method: "POST" });
    clearPop();
  } catch (error) {
    toast(`Not skipped: ${error.message}`, "error");
  }
}

async function hangup() {
  if (!current) return;
  $("#call-state").textContent = "Hanging up…";
  if (softphone.call) softphone.call.disconnect();
  try {
    await api(`calls/${current.callId}/hangup/`, { method: "POST" });
  } catch (error) {
    if (error.code !== "CALL_ENDED") toast(`Not hung up: ${error.message}`, "error");
  }
}

// A page opened (or reconnected) in the middle of a call finds it again; one whose call ended while
// the socket was down learns it.
async function restoreLiveCall() {
  const live = await api("calls/", { query: { agent_id: agent.id, status: "in_progress", per_page: 1 } });
  const call = live.calls[0];
  if (current && !current.ended && current.mode !== "preview" && (!call || call.id !== current.callId)) {
    const shown = await api(`calls/${current.callId}/`);
    if (!LIVE.has(shown.status)) callEnded(shown);
  }
  if (!call || (current && current.callId === call.id)) return;
  const [lead, past] = await Promise.all([
    api(`leads/${call.lead_id}/`), api("calls/", { query: { lead_id: call.lead_id, per_page: 6 } }),
  ]);
  const recent = past.calls.filter((row) => row.id !== call.id).slice(0, 5).map((row) => ({
    callId: row.id, at: row.start_time, outcome: row.outcome, disposition: row.disposition, duration: row.duration,
    agent: row.agent_name, notes: row.notes,
  }));
  popCall({
    callId: call.id, leadId: call.lead_id, first_name: lead.first_name, last_name: lead.last_name,
    phone: lead.phone_e164, email: lead.email, company: lead.company_name, notes: lead.notes,
    campaign: call.campaign_name, history: { attempts: lead.attempts_count, last_call_at: lead.last_call_at,
      disposition: lead.disposition, stage: lead.stage, status: lead.status, recent_calls: recent },
  }, "incoming", { startedAt: Date.parse(call.answer_time) || Date.now() });
  current.accepted = true;
  renderCallState();
}

// The disposition ------------------------------------------------------------------------------------
async function loadDispositions() {
  const data = await api("calls/dispositions/", { query: { is_active: "true", is_system: "false", per_page: 100 } });
  const rows = [...data.dispositions].sort((a, b) => a.sort_order - b.sort_order || a.label.localeCompare(b.label));
  dispositions = new Map(rows.map((row) => [row.code, row]));
  $("#disposition").replaceChildren(h("option", { value: "" }, "Choose…"),
    ...rows.map((row) => h("option", { value: row.code }, row.label)));
  renderCallState();
}

function resetForm() {
  form.reset();
  $("#callback-row").hidden = true;
  $("#callback-at").required = false;
  $("#saved").textContent = "";
}

function onDispositionChange() {
  const chosen = dispositions.get($("#disposition").value);
  const callback = Boolean(chosen && chosen.callback);
  $("#callback-row").hidden = !callback;
  $("#callback-at").required = callback;
  if (callback && !$("#callback-at").value) {
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    tomorrow.setMinutes(0, 0, 0);
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60000);
    $("#callback-at").value = local.toISOString().slice(0, 16);
  }
}

async function saveDisposition(event) {
  event.preventDefault();
  if (!current) return;
  const code = $("#disposition").value;
  const notes = $("#notes").value.trim();
  const chosen = dispositions.get(code);
  if (!chosen) {
    toast("Choose a disposition first.", "error");
    return;
  }
  const body = { disposition: code, notes };
  if (chosen.callback) {
    const at = new Date($("#callback-at").value); // datetime-local: the agent's own time
    if (Number.isNaN(at.getTime()) || at.getTime() <= Date.now()) {
      toast("Choose a callback time in the future.", "error");
      return;
    }
    body.callback_at = at.toISOString();
  }
  const { callId, leadId } = current;
  $("#save-disposition").disabled = true;
  try {
    await api(`calls/${callId}/disposition/`, { method: "POST", body });
    if (notes) {
      await api(`leads/${leadId}/activities/`, {
        method: "POST", body: { activity_type: "note", description: notes, metadata: { call_id: callId, disposition: code } },
      });
    }
    if (current && current.callId === callId) current.saved = true;
    $("#saved").textContent = `Saved: ${chosen.label}`;
    form.dataset.savedCallId = callId;
    refreshStats();
  } catch (error) {
    toast(`Not saved: ${error.message}`, "error");
  } finally {
    renderCallState();
  }
}

// Today's figures ------------------------------------------------------------------------------------
function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: config.tenant.timezone || "UTC" }).format(new Date());
}

async function refreshStats() {
  const day = today();
  const query = { agent_id: agent.id, date_from: day, date_to: day };
  try {
    const [summary, breakdown] = await Promise.all([
      api("calls/stats/summary/", { query }), api("calls/stats/by-disposition/", { query }),
    ]);
    const stats = summary.stats;
    const sales = breakdown.dispositions.filter((row) => dispositions.get(row.disposition)?.sale);
    $("#stat-calls").textContent = stats.total_calls;
    $("#stat-talk").textContent = seconds(stats.avg_talk_time * stats.answered_calls);
    $("#stat-conversions").textContent = sales.reduce((sum, row) => sum + row.count, 0);
  } catch (error) {
    $("#stat-calls").textContent = "?";
    toast(`Today's figures unavailable: ${error.message}`, "error");
  }
}

// The softphone --------------------------------------------------------------------------------------
function setSoftphone(message, kind = "") {
  const line = $("#softphone");
  line.textContent = message;
  line.dataset.kind = kind;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = h("script", { src });
    script.addEventListener("load", resolve);
    script.addEventListener("error", reject);
    document.head.append(script);
  });
}

// With Twilio, the vendored Voice JS SDK (static/vendor/twilio-voice-sdk/) registers the agent's
// identity and rings with the agent's leg; with the simulator, calls are taken in the page.
async function setupSoftphone() {
  let info;
  try {
    info = await api(`agents/${agent.id}/voice-token/`);
  } catch (error) {
    setSoftphone(`Softphone unavailable: ${error.message}`, "error");
    return;
  }
  softphone.provider = info.provider;
  if (info.provider !== "twilio" || !info.token) {
    setSoftphone(info.detail || "Calls are simulated: take them here.", "simulated");
    return;
  }
  try {
    await loadScript(config.twilioSdk);
  } catch {
    setSoftphone("Softphone unavailable: the Twilio Voice SDK is not installed in static/vendor/.", "error");
    return;
  }
  const device = new window.Twilio.Device(info.token, { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
  softphone.device = device;
  device.on("registered", () => setSoftphone("Softphone ready", "ready"));
  device.on("unregistered", () => setSoftphone("Softphone offline", "error"));
  device.on("error", (error) => setSoftphone(`Softphone error: ${error.message}`, "error"));
  device.on("tokenWillExpire", async () => {
    const next = await api(`agents/${agent.id}/voice-token/`);
    device.updateToken(next.token);
  });
  device.on("incoming", (call) => {
    softphone.call = call;
    const gone = () => {
      if (softphone.call === call) softphone.call = null;
      setSoftphone("Softphone ready", "ready");
    };
    for (const name of ["disconnect", "cancel", "reject"]) call.on(name, gone);
    if (softphone.acceptWhenRings) {
      softphone.acceptWhenRings = false;
      call.accept();
    } else {
      setSoftphone("Ringing: accept to take the call", "ringing");
    }
  });
  await device.register();
}

// The socket -----------------------------------------------------------------------------------------
function onEvent(event, data) {
  switch (event) {
    case "connected":
      socket.send("agent:join", { agentId: agent.id });
      restoreLiveCall().catch(() => {});
      break;
    case "agent:joined":
      applyAgent(data);
      break;
    case "agent:status:updated":
      if (data.agentId === agent.id) applyAgent(data);
      break;
    case "incoming:call":
      if (data.agentId === agent.id) popCall(data, "incoming");
      break;
    case "preview:offered":
      if (data.agentId === agent.id) popCall(data, "preview");
      break;
    case "call:ended":
      if (current && data.callId === current.callId) callEnded(data);
      if (data.agentId === agent.id) refreshStats();
      break;
    case "lead:updated":
      if (current && data.leadId === current.leadId) {
        text("#pop-stage", words(data.stage));
        text("#pop-attempts", data.attempts);
      }
      break;
    case "error":
      toast(data.detail || data.code, "error");
      break;
    default:
      break;
  }
}

const socket = new LiveSocket(config.urls.socket, {
  onEvent, loginUrl: config.urls.login, onState: (state, delay) => showConnection($("#connection"), state, delay),
});

for (const button of document.querySelectorAll(".presence button")) {
  button.addEventListener("click", () => setPresence(button.dataset.status));
}
$("#accept").addEventListener("click", accept);
$("#skip").addEventListener("click", skip);
$("#hangup").addEventListener("click", hangup);
$("#next-call").addEventListener("click", clearPop);
$("#disposition").addEventListener("change", onDispositionChange);
form.addEventListener("submit", saveDisposition);
setInterval(() => {
  $("#presence-since").textContent = since(agent.statusChangedAt);
  if (current && !current.ended) $("#call-timer").textContent = seconds((Date.now() - current.startedAt) / 1000);
}, 1000);

applyAgent(agent);
renderCallState();
loadDispositions().then(refreshStats).catch((error) => toast(`Dispositions unavailable: ${error.message}`, "error"));
setupSoftphone();

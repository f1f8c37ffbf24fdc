"""The simulator: a carrier inside the project, and the default provider (TELEPHONY_PROVIDER).

It answers, rings out, goes busy, reaches voicemail, fails, is hung up on mid-call, or loses every
callback (silent: the call plays out in its own record only, for the reaper to find), with the odds
and timings of SIMULATOR_* settings, and it drives the very webhooks Twilio would: status callbacks
(initiated, ringing, answered, completed) with Twilio's parameters, the answer URL (whose TwiML it
then follows: Say, Play, Pause, Gather with a simulated person's speech, Redirect, a Conference,
Hangup), the agent's softphone leg (it rings, answers or rings out, hears the whisper, joins the
lead's conference, talks and hangs up) with the conference's callbacks for every participant,
answering-machine results and recordings, all signed with X-Twilio-Signature over the public URL.
Asked to, it sends callbacks twice or out of order.

A simulated call is a little program in Redis (one hash per call SID) stepped by Celery tasks
scheduled at the moments things happen, so no worker waits through a call. `fetch_status` reads the
simulator's own record, as the Twilio provider asks Twilio.
"""

import json
import logging
import random
import secrets
import threading
import time
import xml.etree.ElementTree as ET

import requests
from django.conf import settings

from apps.calls.telephony import personas
from apps.calls.telephony.base import (
    Originated,
    Provider,
    ProviderCallStatus,
    agent_answer_url,
    agent_identity,
    agent_status_url,
    auth_token,
    callback_urls,
    sign,
)
from apps.core.cache import redis_client

logger = logging.getLogger(__name__)
_KEY = "sim:call:{}"
_ORIGINATIONS = "sim:originated:{}"  # how many calls the carrier took to a number (the race test reads it)
# A conference by name: its sid, status callback (its first participant's), started/ended flags, the
# sequence of its callbacks and end:<sid> (that participant ends it on leaving); and its members.
_CONFERENCE = "sim:conference:{}"
_MEMBERS = "sim:conference:{}:members"
_FINAL = ("completed", "busy", "no-answer", "failed", "canceled")
_AGENT_RING = 1.0  # seconds a simulated softphone rings before its agent picks up (or 3x that: rings out)
_PATIENCE = 120.0  # seconds a person waits alone in the conference before hanging up
_TTL = 24 * 3600
_local = threading.local()

_MAX_TURNS = 40  # a persona past this says nothing more (the engine ends calls long before)


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def originations(number: str) -> int:
    """How many calls the simulated carrier has taken to this number (since its records began)."""
    return int(_redis().get(_ORIGINATIONS.format(number)) or 0)


def _speed() -> float:
    return max(0.01, float(settings.SIMULATOR_SPEED))


def pick_outcome(seed: str) -> str:
    """The fate of one call, from SIMULATOR_ODDS (seeded by the call, so a rerun plays the same)."""
    odds = {k: max(0.0, float(v)) for k, v in settings.SIMULATOR_ODDS.items()}
    total = sum(odds.values()) or 1.0
    point = random.Random(seed).random() * total  # noqa: S311 - a simulation, not a secret
    for outcome, weight in odds.items():
        point -= weight
        if point <= 0:
            return outcome
    return "answer"


class SimulatorProvider(Provider):
    name = "simulator"

    def originate(self, call, *, machine_detection: bool, record: bool, timeout: int) -> Originated:
        sid = "CA" + secrets.token_hex(16)
        outcome = pick_outcome(str(call.pk))
        if outcome == "silent":
            # The carrier takes the call and its callbacks never arrive: the call plays out in the
            # simulator's own record only, which is what the reaper's reconciliation then reads.
            _save({"sid": sid, "call_id": str(call.pk), "to": call.to_number, "status": "no-answer", "duration": 0,
                   "outcome": outcome, "started": time.time()})  # fmt: skip
            _redis().incr(_ORIGINATIONS.format(call.to_number))
            return Originated(sid=sid, status="queued")
        state = {
            "sid": sid, "call_id": str(call.pk), "tenant_id": str(call.tenant_id), "urls": callback_urls(call),
            "from": call.from_number, "to": call.to_number, "outcome": outcome, "status": "queued",
            "amd": machine_detection, "record": record, "timeout": timeout, "sequence": 0, "started": time.time(),
            "answered": None, "program": [], "pending": [],
        }  # fmt: skip
        _save(state)
        _redis().incr(_ORIGINATIONS.format(call.to_number))
        _schedule(sid, "initiated", 0.05)
        return Originated(sid=sid, status="queued")

    def hangup(self, call) -> None:
        self.end_leg(call, call.call_sid)

    def end_leg(self, call, sid: str) -> None:
        state = _load(sid)
        if state is not None and state["status"] not in _FINAL:
            state["hangup_requested"] = True
            _save(state)
            _schedule(sid, "hangup", 0.05)

    def fetch_status(self, call) -> ProviderCallStatus | None:
        state = _load(call.call_sid) if call.call_sid else None
        if state is None:
            return None
        return ProviderCallStatus(status=state["status"], duration=state.get("duration"),
                                  answered_by=state.get("answered_by", ""))  # fmt: skip

    def dial_agent(self, call, agent) -> str:
        """A simulated softphone: it rings, answers (SIMULATOR_AGENT_ANSWER_RATE of the time, else it
        rings out), asks the agent-answer webhook what to do (the whisper, then the lead's conference),
        talks a while and hangs up, reporting its status to the agent-status webhook."""
        sid = "CA" + secrets.token_hex(16)
        rate = float(settings.SIMULATOR_AGENT_ANSWER_RATE)
        answers = random.Random(f"{call.pk}:{agent.pk}").random() < rate  # noqa: S311 - a simulation
        _save({
            "sid": sid, "leg": "agent", "call_id": str(call.pk), "tenant_id": str(call.tenant_id),
            "urls": {"status": agent_status_url(call, agent), "answer": agent_answer_url(call, agent)},
            "from": call.from_number, "to": f"client:{agent_identity(agent)}",
            "outcome": "answer" if answers else "no_answer", "status": "queued", "amd": False, "record": False,
            "timeout": settings.DIALER_AGENT_RING_SECONDS, "sequence": 0, "started": time.time(), "answered": None,
            "program": [], "pending": [],
        })  # fmt: skip
        _schedule(sid, "initiated", 0.05)
        return sid

    def monitor(self, call, *, identity: str, mode: str, participant_sid: str = "", coach_sid: str = "") -> str:
        """Simulated supervisors have no softphone: the monitoring is only recorded on the call."""
        return participant_sid or "CA" + secrets.token_hex(16)

    def voice_token(self, agent) -> None:
        return None  # calls are simulated: the console answers them without a softphone

    def play_and_hangup(self, call, twiml: str) -> None:
        # In a step of its own: leaving a conference sends callbacks, and the caller (the drain) may be
        # holding the very call row those callbacks are stored against.
        if _load(call.call_sid) is not None:
            _schedule(call.call_sid, "redirect", 0.05, twiml=twiml)


# The carrier's program --------------------------------------------------------------------------------
def _redis():
    return redis_client()


def _load(sid: str) -> dict | None:
    raw = _redis().get(_KEY.format(sid)) if sid else None
    return json.loads(raw) if raw else None


def _save(state: dict) -> None:
    _redis().set(_KEY.format(state["sid"]), json.dumps(state), ex=_TTL)


def _schedule(sid: str, step: str, seconds: float, **extra) -> None:
    from apps.calls.tasks import simulator_step

    simulator_step.apply_async(args=[sid, step], kwargs=extra, countdown=max(0.0, seconds / _speed()))


def _parse(twiml: str) -> list[dict]:
    """TwiML -> a list of verbs {verb, text, attrs, children}."""
    try:
        root = ET.fromstring(twiml)  # noqa: S314 - our own webhooks' answers
    except ET.ParseError:
        return [{"verb": "Hangup", "text": "", "attrs": {}, "children": []}]

    def verb(element) -> dict:
        return {"verb": element.tag, "text": (element.text or "").strip(), "attrs": dict(element.attrib),
                "children": [verb(child) for child in element]}  # fmt: skip

    return [verb(child) for child in root]


def _post(state: dict, url: str, params: dict) -> requests.Response | None:
    """POST a signed Twilio-style callback; the simulator carries on whatever the answer."""
    token = auth_token(_tenant(state["tenant_id"]))
    body = {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": state["sid"], "From": state["from"],
            "To": state["to"], "Direction": "outbound-api", **params}  # fmt: skip
    headers = {"X-Twilio-Signature": sign(url, body, token)}
    try:
        return _session().post(url, data=body, headers=headers, timeout=10)
    except requests.RequestException as exc:
        logger.warning("simulator: callback %s failed: %s", url, exc)
        return None


def _tenant(tenant_id: str):
    from apps.tenants.models import Tenant

    cache = getattr(_local, "tenants", None)
    if cache is None:
        cache = _local.tenants = {}
    if tenant_id not in cache:
        cache[tenant_id] = Tenant.objects.filter(pk=tenant_id).only("id", "twilio_auth_token").first()
    return cache[tenant_id]


def _status(state: dict, status: str, **params) -> None:
    """A status callback (sent twice, or held back to go after the next one, when asked to)."""
    state["status"] = status
    state["sequence"] += 1
    body = {"CallStatus": status, "SequenceNumber": str(state["sequence"]), "Timestamp": time.strftime(
        "%a, %d %b %Y %H:%M:%S +0000", time.gmtime()), **params}  # fmt: skip
    url = state["urls"]["status"]
    rng = random.Random(f"{state['sid']}:{state['sequence']}")  # noqa: S311
    if settings.SIMULATOR_REORDER and status in ("ringing", "initiated") and rng.random() < 0.5:
        state["pending"].append([url, body])  # goes out after the next callback
        return
    _post(state, url, body)
    if rng.random() < float(settings.SIMULATOR_DUPLICATES):
        _post(state, url, body)
    for held_url, held_body in state["pending"]:
        _post(state, held_url, held_body)
    state["pending"] = []


def _finish(state: dict, status: str) -> None:
    _conference_leave(state)
    duration = round(time.time() - state["answered"]) if state.get("answered") else 0
    state["duration"] = duration
    params = {"CallDuration": str(duration)}
    if state.get("answered_by"):
        params["AnsweredBy"] = state["answered_by"]
    _status(state, status, **params)
    if state.get("record") and state.get("answered"):
        _post(state, state["urls"]["recording"], {
            "RecordingSid": "RE" + secrets.token_hex(16), "RecordingStatus": "completed",
            "RecordingDuration": str(duration), "RecordingChannels": "2",
            "RecordingUrl": f"{settings.PUBLIC_BASE_URL.rstrip('/')}/media/simulated-recordings/{state['sid']}.wav",
        })  # fmt: skip
    state["program"] = []


def step(sid: str, name: str, **extra) -> None:
    """Run one moment of a simulated call (a Celery task calls this)."""
    state = _load(sid)
    if state is None or state["status"] in _FINAL:
        return
    if name == "hangup":
        _finish(state, "completed" if state.get("answered") else "canceled")
    elif name == "initiated":
        _status(state, "initiated")
        _schedule(sid, "ringing", 0.3)
    elif name == "ringing":
        _step_ringing(state)
    elif name == "answer":
        _step_answer(state)
    elif name == "run":
        _run(state)
    elif name == "speak":
        _follow(state, extra["action"], {"SpeechResult": extra["speech"], "Confidence": "0.92"})
        _run(state)
    elif name == "end":
        _finish(state, extra.get("status", "completed"))
    elif name == "redirect":  # new TwiML for the call (it leaves its conference, as on Twilio)
        _conference_leave(state)
        state["program"] = _parse(extra["twiml"])
        _run(state)
    elif name == "conference_ended":  # the Dial is over: the verbs after it run (none: Twilio hangs up)
        state.pop("conference", None)
        _run(state)
    elif name == "give_up" and _alone(state):
        _finish(state, "completed")  # nobody came to the conference: the person hangs up
    _save(state)


def _step_ringing(state: dict) -> None:
    outcome, sid = state["outcome"], state["sid"]
    _status(state, "ringing")
    ring = _AGENT_RING if state.get("leg") == "agent" else float(settings.SIMULATOR_RING_SECONDS)
    if outcome == "failed":
        _schedule(sid, "end", 0.2, status="failed")
    elif outcome == "busy":
        _schedule(sid, "end", 0.8, status="busy")
    elif outcome == "no_answer":
        _schedule(sid, "end", min(float(state["timeout"]), ring * 3), status="no-answer")
    else:
        _schedule(sid, "answer", ring * random.Random(sid).uniform(0.5, 1.5))  # noqa: S311


def _step_answer(state: dict) -> None:
    state["answered"] = time.time()
    machine = state["outcome"] == "voicemail"
    params = {"CallStatus": "in-progress"}
    if state["amd"]:
        state["answered_by"] = "machine_end_beep" if machine else "human"
        params["AnsweredBy"] = state["answered_by"]
    _status(state, "in-progress", **({"AnsweredBy": state["answered_by"]} if state["amd"] else {}))
    response = _post(state, state["urls"]["answer"], params)
    state["program"] = _parse(response.text) if response is not None and response.ok else []
    if state["outcome"] == "hangup":  # the person hangs up a few seconds in, whatever we say
        _schedule(state["sid"], "end", 3.0, status="completed")
    _run(state)


def _run(state: dict) -> None:
    """Follow the call's TwiML until something takes time, then schedule the rest."""
    sid = state["sid"]
    while state["program"]:
        verb = state["program"].pop(0)
        kind, attrs = verb["verb"], verb["attrs"]
        if kind in ("Say", "Play"):
            seconds = max(1.0, len(verb["text"]) / 15) if kind == "Say" else 5.0
            _schedule(sid, "run", seconds)
            return
        if kind == "Pause":
            _schedule(sid, "run", float(attrs.get("length", 1)))
            return
        if kind == "Hangup":
            _schedule(sid, "end", 0.1, status="completed")
            return
        if kind == "Redirect":
            _follow(state, verb["text"], {})
            continue
        if kind == "Gather":
            _gather(state, verb)
            return
        if kind == "Dial":
            _dial(state, verb)
            return
    if state.get("answered"):  # the TwiML ran out: Twilio hangs up
        _schedule(sid, "end", 0.5, status="completed")


def _follow(state: dict, url: str, params: dict) -> None:
    response = _post(state, url, {"CallStatus": "in-progress", **params})
    state["program"] = _parse(response.text) if response is not None and response.ok else []


def _gather(state: dict, verb: dict) -> None:
    """The simulated person listens to what is said, then answers with their persona's next line (or
    stays silent: the verbs after the Gather run, as Twilio does when its timeout passes). Only speech
    is answered: a Gather for keys (the abandoned-call message) times out."""
    said = " ".join(child["text"] for child in verb["children"] if child["verb"] == "Say")
    turns = state.setdefault("turns", [])
    turns.append(said)
    speaking = max(1.0, len(said) / 15)
    speech = "speech" in verb["attrs"].get("input", "dtmf")
    line = _persona_line(state, said) if speech and len(turns) <= _MAX_TURNS else None
    if line is None:
        _schedule(state["sid"], "run", speaking + float(verb["attrs"].get("timeout", 5)))
        return
    _schedule(state["sid"], "speak", speaking + 1.5, action=verb["attrs"].get("action") or state["urls"]["answer"],
              speech=line)  # fmt: skip


def _persona_line(state: dict, heard: str) -> str | None:
    """The persona's answer to what the agent said; the persona is picked at the call's first speech
    Gather (an AI call, answered) and kept in the call's program with who the person is."""
    part = state.get("persona")
    if part is None:
        part = state["persona"] = {"name": personas.pick(state["call_id"], outcome=state["outcome"]),
                                   "person": _person(state["call_id"]), "said": 0}  # fmt: skip
    line, part["said"] = personas.PERSONAS[part["name"]].reply(heard, said=part["said"], person=part["person"])
    return line


def _person(call_id: str) -> dict[str, str]:
    from apps.calls.models import Call

    fields = ("first_name", "last_name", "company_name", "email")
    lead = Call.objects.filter(pk=call_id).values(*(f"lead__{name}" for name in fields)).first() or {}
    first, last, company, email = (lead.get(f"lead__{name}") or "" for name in fields)
    return personas.person(first_name=first, last_name=last, company=company, email=email)


def _dial(state: dict, verb: dict) -> None:
    """Into a conference: the lead waits there for their agent (and gives up after a while alone);
    the agent's leg joins, they talk, and the agent hangs up."""
    talk = float(settings.SIMULATOR_TALK_SECONDS) * random.Random(state["sid"]).uniform(0.5, 1.5)  # noqa: S311
    conference = next((child for child in verb["children"] if child["verb"] == "Conference"), None)
    if conference is None:  # a Dial to a number (none of our TwiML): they talk, then it ends
        _schedule(state["sid"], "end", talk, status="completed")
        return
    _conference_join(state, conference["text"], conference["attrs"])
    if state.get("leg") == "agent":
        _schedule(state["sid"], "end", talk, status="completed")
    else:
        _schedule(state["sid"], "give_up", _PATIENCE)


# Conferences ------------------------------------------------------------------------------------------
# Twilio's conference status callbacks, as a conference sends them: to the status callback of the
# participant who started it, for every participant (join, leave), and when it starts and ends. A
# participant with endConferenceOnExit ends it on leaving, and everyone else drops out of their Dial.
def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


def _conference_post(state: dict, conference: dict, event: str, *, member: str = "", **params) -> None:
    key = _CONFERENCE.format(conference["name"])
    url = _text(_redis().hget(key, "callback"))
    if not url:
        return
    body = {"ConferenceSid": conference["sid"], "FriendlyName": conference["name"], "StatusCallbackEvent": event,
            "SequenceNumber": str(_redis().hincrby(key, "seq", 1)), "CallSid": member,
            "Timestamp": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()), **params}  # fmt: skip
    if member:
        ends = _text(_redis().hget(key, f"end:{member}")) == "1"
        body = {"Muted": "false", "Hold": "false", "Coaching": "false", "StartConferenceOnEnter": "true",
                "EndConferenceOnExit": "true" if ends else "false", **body}  # fmt: skip
    _post(state, url, body)


def _alone(state: dict) -> bool:
    conference = state.get("conference")
    return bool(conference) and _redis().scard(_MEMBERS.format(conference["name"])) <= 1


def _conference_join(state: dict, name: str, attrs: dict) -> None:
    redis, key, members, sid = _redis(), _CONFERENCE.format(name), _MEMBERS.format(name), state["sid"]
    if redis.hget(key, "ended"):  # that one is over: the name starts a new conference
        redis.delete(key, members)
    redis.hsetnx(key, "sid", "CF" + secrets.token_hex(16))
    if attrs.get("statusCallback"):
        redis.hsetnx(key, "callback", attrs["statusCallback"])
    redis.hset(key, f"end:{sid}", "1" if attrs.get("endConferenceOnExit") == "true" else "0")
    redis.sadd(members, sid)
    redis.expire(key, _TTL)
    redis.expire(members, _TTL)
    conference = state["conference"] = {"name": name, "sid": _text(redis.hget(key, "sid"))}
    _conference_post(state, conference, "participant-join", member=sid)
    if attrs.get("startConferenceOnEnter", "true") == "true" and redis.hsetnx(key, "started", "1"):
        _conference_post(state, conference, "conference-start")


def _conference_leave(state: dict) -> None:
    """The leg leaves its conference (hung up, or given new TwiML); the conference ends when it was
    the one to end it or the last one there, and the others' Dial ends."""
    conference = state.pop("conference", None)
    if not conference:
        return
    redis, key, members, sid = _redis(), _CONFERENCE.format(conference["name"]), _MEMBERS.format(
        conference["name"]), state["sid"]  # fmt: skip
    if not redis.srem(members, sid):
        return  # the conference had already ended and let everyone go
    _conference_post(state, conference, "participant-leave", member=sid)
    ends = _text(redis.hget(key, f"end:{sid}")) == "1"
    if (not ends and redis.scard(members)) or not redis.hsetnx(key, "ended", "1"):
        return  # others stay on, or another leg is ending it
    for other in map(_text, redis.smembers(members)):
        redis.srem(members, other)
        _conference_post(state, conference, "participant-leave", member=other)
        _schedule(other, "conference_ended", 0.05)
    _conference_post(state, conference, "conference-end", CallSidEndingConference=sid,
                     ReasonConferenceEnded="participant-with-end-conference-on-exit-left" if ends
                     else "last-participant-left")  # fmt: skip

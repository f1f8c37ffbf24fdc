"""A local fake of Twilio for tests, both directions of its wire format.

Its REST API (the part LeadVoice uses): a real HTTP server (stdlib, in a thread, on 127.0.0.1) that
the real twilio SDK talks to through TWILIO_API_BASE.

It speaks Twilio's wire format: form-encoded requests (repeated keys such as StatusCallbackEvent
kept in order), HTTP basic auth with the account SID and auth token (401 with error 20003 on a
mismatch), the Call resource as JSON (201 on create), and Twilio's error JSON (404 / 20404 for an
unknown SID). Every request is kept, so a test can read exactly what the SDK sent.

    POST /2010-04-01/Accounts/{AccountSid}/Calls.json          create a call
    GET  /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json    fetch it
    POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json    update it (Status=completed|canceled, Twiml, Url)
    POST /2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants.json             add one
    GET  /2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants/{CallSid}.json   fetch it
    POST /2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants/{CallSid}.json   update it
         (Muted, Hold, Coaching, CallSidToCoach)

A conference exists once a test says so (`add_conference`, as a TwiML <Conference> would have made
it); adding a participant also makes the participant's call. The participant resource is Twilio's
(call_sid, conference_sid, label, muted, hold, coaching, call_sid_to_coach, status...). Coaching
needs CallSidToCoach naming a participant of the same conference: the fake's own 400 (code 20001)
otherwise, as an unknown conference or participant is Twilio's 404 (20404).

Its callbacks: `post_callback` sends a webhook request as Twilio does, form-encoded with
X-Twilio-Signature computed by the SDK's RequestValidator over the public URL and the parameters.
"""

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

API = "/2010-04-01"
_CALLS = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Calls(?:/(?P<sid>[^/]+))?\.json$")
_PARTICIPANTS = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Conferences/(?P<conference>[^/]+)"
                           r"/Participants(?:/(?P<sid>[^/]+))?\.json$")  # fmt: skip
TERMINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
FORM = "application/x-www-form-urlencoded"
UNSIGNED = object()  # post_callback(signature=UNSIGNED): no X-Twilio-Signature header at all


def post_callback(client, url: str, params: dict[str, str], *, token: str | None = None, signature=None,
                  public_base: str | None = None):  # fmt: skip
    """POST a Twilio callback to `url` (the absolute public URL we gave Twilio) through a Django test
    client: the body form-encoded, signed with `token` (the test settings' TWILIO_AUTH_TOKEN by
    default) over that URL, unless a `signature` (or UNSIGNED) is given."""
    from django.conf import settings

    base = (public_base or settings.PUBLIC_BASE_URL).rstrip("/")
    assert url.startswith(base + "/"), f"{url} is not under {base}"
    if signature is None:
        signature = RequestValidator(token or settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
    headers = {} if signature is UNSIGNED else {"HTTP_X_TWILIO_SIGNATURE": signature}
    return client.post(url[len(base) :], data=urlencode(params), content_type=FORM, **headers)


@dataclass
class Received:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]  # every value of every key, in order (StatusCallbackEvent repeats)
    username: str  # the basic-auth user (the account SID)
    content_type: str
    status: int = 0  # what the fake answered

    def get(self, key: str, default: str | None = None) -> str | None:
        values = self.form.get(key)
        return values[-1] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(self.form.get(key, []))


@dataclass
class FakeTwilio:
    """Twilio's Calls endpoints for the accounts given ({account SID: auth token})."""

    accounts: dict[str, str]
    host: str = "127.0.0.1"
    calls: dict[str, dict] = field(default_factory=dict)
    conferences: dict[str, dict] = field(default_factory=dict)  # sid -> {account_sid, friendly_name, participants}
    requests: list[Received] = field(default_factory=list)
    _failures: list[tuple[int, dict]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # Life ------------------------------------------------------------------------------------------
    def start(self) -> "FakeTwilio":
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-twilio", daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # What tests use --------------------------------------------------------------------------------
    def fail_next(self, status: int, *, code: int | None = None, message: str = "Internal Server Error") -> None:
        """The next request (whatever it is) gets this error, in Twilio's error format (code 20000 +
        status by default: 20429 Too Many Requests, 20500 Internal Server Error, 20503 Unavailable)."""
        with self._lock:
            self._failures.append((status, _error_body(status, code or 20000 + status, message)))

    def received(self, method: str | None = None, path_suffix: str = "") -> list[Received]:
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method) and r.path.endswith(path_suffix)]

    def creates(self) -> list[Received]:
        """Every successful call creation (POST .../Calls.json answered 201)."""
        return [r for r in self.received("POST", "/Calls.json") if r.status == 201]

    def add_conference(self, account: str, *, friendly_name: str, participants: list[str] = ()) -> str:
        """A conference in progress (as the lead's <Dial><Conference> made it), with these calls in it."""
        sid = "CF" + secrets.token_hex(16)
        with self._lock:
            self.conferences[sid] = {"account_sid": account, "friendly_name": friendly_name, "participants": {}}
            for call_sid in participants:
                self.conferences[sid]["participants"][call_sid] = self._participant(account, sid, call_sid, {})
        return sid

    def participant(self, conference: str, call_sid: str) -> dict:
        with self._lock:
            return dict(self.conferences[conference]["participants"][call_sid])

    def leave(self, conference: str, call_sid: str) -> None:
        """A participant hangs up: gone from the conference (Twilio's Participants no longer list it)."""
        with self._lock:
            del self.conferences[conference]["participants"][call_sid]

    def set_call(self, sid: str, **fields) -> dict:
        """Move a call on as the network would (status, duration, answered_by, price...)."""
        with self._lock:
            resource = self.calls[sid]
            resource.update({key: (str(value) if isinstance(value, int) else value) for key, value in fields.items()})
            resource["date_updated"] = formatdate(usegmt=True)
            return dict(resource)

    # The endpoints ---------------------------------------------------------------------------------
    def handle(self, method: str, path: str, form: dict[str, list[str]], auth: tuple[str, str] | None):
        """(HTTP status, JSON body) for one request."""
        with self._lock:
            if self._failures:
                return self._failures.pop(0)
        match = _CALLS.match(path) or _PARTICIPANTS.match(path)
        refusal = self._refusal(match, path, auth)
        if refusal is not None:
            return refusal
        if "conference" in match.groupdict():
            return self._participants(method, match["account"], match["conference"], match["sid"], form, path)
        account, sid = match["account"], match["sid"]
        if sid is None:
            return self._create(account, form) if method == "POST" else (405, _error_body(405, 20004, "Method"))
        with self._lock:
            resource = self.calls.get(sid)
            if resource is None or resource["account_sid"] != account:
                return 404, _error_body(404, 20404, f"The requested resource {path} was not found")
            return (200, dict(resource)) if method == "GET" else self._update(resource, form)

    def _refusal(self, match, path: str, auth: tuple[str, str] | None):
        """Twilio's answer to a request it will not serve (None: serve it)."""
        if match is None:
            return 404, _error_body(404, 20404, f"The requested resource {path} was not found")
        token = self.accounts.get(auth[0]) if auth else None
        if token is None or not secrets.compare_digest(token, auth[1]):
            return 401, _error_body(401, 20003, "Authenticate")
        if auth[0] != match["account"]:  # another account's resources: Twilio does not say whether they exist
            return 404, _error_body(404, 20404, f"The requested resource {path} was not found")
        return None

    def _create(self, account: str, form: dict[str, list[str]]):
        one = {key: values[-1] for key, values in form.items()}
        if not one.get("To"):
            return 400, _error_body(400, 21201, "No 'To' number is specified")
        if not one.get("From"):
            return 400, _error_body(400, 21213, "No 'From' number is specified")
        if not (one.get("Url") or one.get("Twiml") or one.get("ApplicationSid")):
            return 400, _error_body(400, 21205, "Url parameter is required")
        resource = _call_resource(account, to=one["To"], from_=one["From"])
        with self._lock:
            self.calls[resource["sid"]] = resource
        return 201, dict(resource)

    # Conference participants -----------------------------------------------------------------------
    def _participants(self, method: str, account: str, conference_sid: str, sid: str | None, form, path: str):
        one = {key: values[-1] for key, values in form.items()}
        with self._lock:
            conference = self.conferences.get(conference_sid)
            if conference is None or conference["account_sid"] != account:
                return 404, _error_body(404, 20404, f"The requested resource {path} was not found")
            members = conference["participants"]
            if sid is None:
                if method != "POST":
                    return 405, _error_body(405, 20004, "Method")
                return self._add_participant(account, conference_sid, members, one)
            if sid not in members:
                return 404, _error_body(404, 20404, f"The requested resource {path} was not found")
            if method == "GET":
                return 200, dict(members[sid])
            return self._update_participant(members, members[sid], one)

    def _add_participant(self, account: str, conference_sid: str, members: dict, one: dict):
        if not one.get("To"):
            return 400, _error_body(400, 21201, "No 'To' number is specified")
        if not one.get("From"):
            return 400, _error_body(400, 21213, "No 'From' number is specified")
        refusal = _coaching_refusal(members, one.get("Coaching") == "true", one.get("CallSidToCoach"))
        if refusal is not None:
            return refusal
        call = _call_resource(account, to=one["To"], from_=one["From"])  # the participant's own call
        call_sid = self.calls.setdefault(call["sid"], call)["sid"]
        members[call_sid] = self._participant(account, conference_sid, call_sid, one)
        return 201, dict(members[call_sid])

    @staticmethod
    def _participant(account: str, conference_sid: str, call_sid: str, one: dict) -> dict:
        now = formatdate(usegmt=True)
        return {
            "account_sid": account, "call_sid": call_sid, "label": one.get("Label"),
            "call_sid_to_coach": one.get("CallSidToCoach"), "coaching": one.get("Coaching") == "true",
            "conference_sid": conference_sid, "date_created": now, "date_updated": now,
            "end_conference_on_exit": one.get("EndConferenceOnExit") == "true", "muted": one.get("Muted") == "true",
            "hold": one.get("Hold") == "true", "start_conference_on_enter": one.get("StartConferenceOnEnter") != "false",
            "status": "queued" if one else "connected", "queue_time": "0",
            "uri": f"{API}/Accounts/{account}/Conferences/{conference_sid}/Participants/{call_sid}.json",
        }  # fmt: skip

    @staticmethod
    def _update_participant(members: dict, resource: dict, one: dict):
        coaching = one.get("Coaching", str(resource["coaching"]).lower()) == "true"
        refusal = _coaching_refusal(members, coaching, one.get("CallSidToCoach") or resource["call_sid_to_coach"])
        if refusal is not None:
            return refusal
        for key, name in (("Muted", "muted"), ("Hold", "hold"), ("Coaching", "coaching")):
            if key in one:
                resource[name] = one[key] == "true"
        if "CallSidToCoach" in one:
            resource["call_sid_to_coach"] = one["CallSidToCoach"]
        if not resource["coaching"]:
            resource["call_sid_to_coach"] = None
        resource["date_updated"] = formatdate(usegmt=True)
        return 200, dict(resource)

    def _update(self, resource: dict, form: dict[str, list[str]]):
        one = {key: values[-1] for key, values in form.items()}
        status = one.get("Status")
        if status in ("completed", "canceled"):
            if resource["status"] not in TERMINAL:
                answered = resource["status"] == "in-progress"
                resource["status"] = "completed" if answered else "canceled"
                resource["end_time"] = formatdate(usegmt=True)
        elif one.get("Twiml") or one.get("Url"):
            if resource["status"] in TERMINAL:
                return 400, _error_body(400, 21220, "Call is not in-progress. Cannot redirect.")
            resource["twiml" if one.get("Twiml") else "url"] = one.get("Twiml") or one.get("Url")
        resource["date_updated"] = formatdate(usegmt=True)
        return 200, {key: value for key, value in resource.items() if key not in ("twiml", "url")}


def _call_resource(account: str, *, to: str, from_: str) -> dict:
    """A new Call resource, queued, as Twilio answers a create."""
    sid = "CA" + secrets.token_hex(16)
    now = formatdate(usegmt=True)
    uri = f"{API}/Accounts/{account}/Calls/{sid}"
    return {
        "account_sid": account, "annotation": None, "answered_by": None, "api_version": "2010-04-01",
        "caller_name": None, "date_created": now, "date_updated": now, "direction": "outbound-api",
        "duration": None, "end_time": None, "forwarded_from": None, "from": from_,
        "from_formatted": from_, "group_sid": None, "parent_call_sid": None,
        "phone_number_sid": "PN" + secrets.token_hex(16), "price": None, "price_unit": "USD",
        "queue_time": "0", "sid": sid, "start_time": None, "status": "queued", "to": to,
        "to_formatted": to, "trunk_sid": None, "uri": f"{uri}.json",
        "subresource_uris": {name: f"{uri}/{name.title().replace('_', '')}.json" for name in
                             ("notifications", "recordings", "payments", "events", "siprec", "streams")},
    }  # fmt: skip


def _coaching_refusal(members: dict, coaching: bool, coached: str | None):
    if coaching and not coached:
        return 400, _error_body(400, 20001, "CallSidToCoach is required when Coaching is true")
    if coached and coached not in members:
        return 400, _error_body(400, 20001, f"CallSidToCoach {coached} is not a participant of this conference")
    return None


def _error_body(status: int, code: int, message: str) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass  # quiet tests

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        content_type = self.headers.get("Content-Type", "")
        form = parse_qs(body, keep_blank_values=True) if body else {}
        auth = None
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                username, _, password = base64.b64decode(header[6:]).decode().partition(":")
                auth = (username, password)
            except (ValueError, UnicodeDecodeError):
                auth = None
        received = Received(method=self.command, path=parts.path, query=parse_qs(parts.query), form=form,
                            username=auth[0] if auth else "", content_type=content_type)  # fmt: skip
        status, payload = self.fake.handle(self.command, parts.path, form, auth)
        received.status = status
        with self.fake._lock:
            self.fake.requests.append(received)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve

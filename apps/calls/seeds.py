"""What every tenant starts with: the standard dispositions, and the platform's calling rules.

The rules are the stricter state rules we know of, as of late 2026; they are data, not code, so a
tenant's counsel can add to them (a tenant's own rules apply on top: the strictest rule wins). They
are not legal advice. The federal baseline (08:00-21:00 in the called person's time, US TCPA) is
the dialer's own window (DIALER_LOCAL_START/END), which applies to every lead everywhere.
"""

from datetime import time

# code, label, flags (see CallDisposition), sort order. System codes are set by the dialer from a
# call's outcome; the others by a person (or the AI agent) at the end of a call.
STANDARD_DISPOSITIONS = [
    ("answered", "Answered", {"human_answered": True, "contact": True, "is_system": True}, 10),
    ("sale", "Sale", {"human_answered": True, "contact": True, "sale": True, "completed": True}, 20),
    ("interested", "Interested", {"human_answered": True, "contact": True, "completed": True}, 30),
    ("callback_requested", "Callback requested", {"human_answered": True, "contact": True, "callback": True}, 40),
    ("not_interested", "Not interested", {"human_answered": True, "contact": True, "completed": True}, 50),
    ("do_not_call", "Do not call", {"human_answered": True, "contact": True, "dnc": True, "completed": True}, 60),
    ("wrong_number", "Wrong number", {"human_answered": True, "unworkable": True, "completed": True}, 70),
    ("hung_up", "Hung up", {"human_answered": True, "retry": True}, 80),
    ("voicemail", "Voicemail", {"answering_machine": True, "retry": True, "is_system": True}, 90),
    ("voicemail_left", "Voicemail message left", {"answering_machine": True, "retry": True, "is_system": True}, 95),
    ("no_answer", "No answer", {"retry": True, "is_system": True}, 100),
    ("busy", "Busy", {"retry": True, "is_system": True}, 110),
    ("failed", "Failed", {"retry": True, "is_system": True}, 120),
    ("abandoned", "Abandoned (no agent free)", {"human_answered": True, "retry": True, "is_system": True}, 130),
    ("canceled", "Canceled before ringing", {"retry": True, "is_system": True}, 140),
]

# Recording needs every party's consent in these states (the list).
ALL_PARTY_CONSENT_STATES = ("CA", "DE", "FL", "IL", "MD", "MA", "MT", "NV", "NH", "PA", "WA")

_8, _20, _21, _9, _12 = time(8), time(20), time(21), time(9), time(12)
# (country, state, weekday or None, start, end, max calls per 24 h, source)
STATE_RULES = [
    ("US", "FL", None, _8, _20, 3, "Florida Telephone Solicitation Act (2021): 8 am-8 pm, 3 calls / 24 h"),
    ("US", "OK", None, _8, _20, 3, "Oklahoma Telephone Solicitation Act (2022): 8 am-8 pm, 3 calls / 24 h"),
    ("US", "MD", None, _8, _20, 3, "Maryland Stop the Spam Calls Act (2023): 8 am-8 pm, 3 calls / 24 h"),
    ("US", "WA", None, _8, _20, None, "Washington RCW 80.36.390: 8 am-8 pm"),
    ("US", "TX", None, _9, _21, None, "Texas Bus. & Com. Code 301.051: 9 am-9 pm Monday-Saturday"),
    ("US", "TX", 6, _12, _21, None, "Texas Bus. & Com. Code 301.051: noon-9 pm on Sunday"),
]


def platform_rules() -> list[dict]:
    rules = [
        {"country": country, "subdivision": state, "weekday": weekday, "start_local": start, "end_local": end,
         "max_calls_per_24h": limit, "all_party_consent": state in ALL_PARTY_CONSENT_STATES, "source": source}
        for country, state, weekday, start, end, limit, source in STATE_RULES
    ]  # fmt: skip
    ruled = {rule["subdivision"] for rule in rules}
    rules += [
        {"country": "US", "subdivision": state, "weekday": None, "start_local": None, "end_local": None,
         "max_calls_per_24h": None, "all_party_consent": True, "source": "All-party consent to record"}
        for state in ALL_PARTY_CONSENT_STATES if state not in ruled
    ]  # fmt: skip
    return rules

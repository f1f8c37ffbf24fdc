"""A generated population of leads whose conversion depends on known features plus noise, with the
calls that led there: what the scoring benchmark (bench/scoring.py) and the training tests learn
from.

The pattern is a tenant's own, not the rules' generic one: seniority, interest, answered calls
and talk time help (the rules know that), but small and mid-sized companies convert best, events
and referrals beat the website, and priority means nothing (the rules assume otherwise). A trained
model should find that; the rules cannot.

`make(tenant, n, labelled=True)` writes finished leads (each with the call that decided it: a sale,
"not interested" or a last unanswered call); `labelled=False` writes open leads with their calls
so far, and returns their future outcome for measuring, without writing it.
"""

import datetime as dt
import math
import random
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from apps.calls.choices import CallOutcome, CallStatus
from apps.calls.models import Call
from apps.leads.choices import Disposition, LeadStage, LeadStatus
from apps.leads.models import Lead

TITLES = {0: [""], 1: ["Assistant", "Coordinator", "Analyst"], 2: ["Sales Manager", "Office Manager", "Team Lead"],
          3: ["Director of Operations", "VP Sales", "Head of Marketing"], 4: ["CEO", "Founder", "Owner"]}  # fmt: skip
SIZES = {1: "1-9", 2: "10-49", 3: "50-249", 4: "250-999", 5: "1000+"}
SIZE_EFFECT = {0: 0.0, 1: 0.2, 2: 0.7, 3: 0.5, 4: -0.3, 5: -0.8}
INDUSTRIES = {"healthcare": 0.6, "software": 0.1, "retail": -0.4, "manufacturing": 0.0, "education": -0.2,
              "finance": 0.2}  # fmt: skip
SOURCES = {"trade show": 0.9, "referral": 0.7, "website": -0.1, "purchased list": -0.5, "linkedin": 0.0}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _person(rng: random.Random) -> dict:
    seniority = rng.choices([0, 1, 2, 3, 4], weights=[1, 3, 4, 3, 2])[0]
    band = rng.choices([0, 1, 2, 3, 4, 5], weights=[1, 2, 3, 3, 2, 2])[0]
    industry = rng.choice(list(INDUSTRIES))
    source = rng.choice(list(SOURCES))
    appetite = rng.gauss(0, 1)  # how much they want it, unseen: shows in interest and in calls
    fit = 0.45 * (seniority - 2) + SIZE_EFFECT[band] + INDUSTRIES[industry] + SOURCES[source]
    calls = rng.choices([0, 1, 2, 3], weights=[2, 4, 3, 2])[0]
    history = []
    for _ in range(calls):
        if rng.random() < _sigmoid(-0.2 + 0.6 * appetite):
            talk = max(15, int(rng.gauss(90 + 80 * appetite, 40)))
            word = rng.choices(["answered", "callback_requested", "hung_up"], weights=[5, 2 + appetite, 1])[0]
            history.append((CallOutcome.ANSWERED, word, talk))
        else:
            history.append((rng.choice([CallOutcome.NO_ANSWER, CallOutcome.VOICEMAIL, CallOutcome.BUSY]), "", 0))
    answered = sum(1 for outcome, _, _ in history if outcome == CallOutcome.ANSWERED)
    talk_minutes = sum(t for _, _, t in history) / 60
    interest_signal = appetite + rng.gauss(0, 0.8)
    interest = "high" if interest_signal > 0.8 else "medium" if interest_signal > -0.3 else "low" if \
        interest_signal > -1.2 else ""  # fmt: skip
    logit = -2.3 + fit + 0.9 * appetite + 0.35 * answered + 0.3 * math.log1p(talk_minutes) + rng.gauss(0, 0.7)
    return {
        "seniority": seniority, "band": band, "industry": industry, "source": source, "interest": interest,
        "history": history, "converted": rng.random() < _sigmoid(logit), "priority": rng.randint(1, 5),
        "email": rng.random() < 0.7, "revenue": None if band == 0 else Decimal(int(10 ** (4 + band + rng.random()))),
        "appetite": appetite,
    }  # fmt: skip


def make(tenant, n: int, *, labelled: bool = True, seed: int = 7, phone_start: int = 2_000_000) -> list[tuple]:
    """Write n leads (and their calls) for the tenant; [(lead_id, converted)]."""
    rng = random.Random(seed)  # noqa: S311 - made-up people, not secrets
    now = timezone.now()
    people = [_person(rng) for _ in range(n)]
    leads = []
    for i, p in enumerate(people):
        finished = labelled
        stage = (LeadStage.CONVERTED if p["converted"] else LeadStage.LOST) if finished else \
            (LeadStage.CONTACTED if p["history"] else LeadStage.NEW)  # fmt: skip
        calls = len(p["history"]) + (1 if finished else 0)
        leads.append(Lead(
            tenant=tenant, first_name=f"Synth{i}", phone_e164=f"+1212{phone_start + i:07d}", phone_region="US",
            email=f"synth{phone_start + i}@example.com" if p["email"] else "",
            job_title=rng.choice(TITLES[p["seniority"]]),
            company_name=f"Company {i % 700}" if p["band"] else "", company_size=SIZES.get(p["band"], ""),
            annual_revenue=p["revenue"], industry=p["industry"], source=p["source"], interest_level=p["interest"],
            priority=p["priority"], stage=stage, attempts_count=calls,
            status=LeadStatus.DONE if finished else LeadStatus.SCHEDULED,
            converted_at=now if finished and p["converted"] else None,
            disposition=(Disposition.CONVERTED if p["converted"] else Disposition.NOT_INTERESTED) if finished else "",
        ))  # fmt: skip
    Lead.objects.bulk_create(leads, batch_size=2000)
    rows = []
    for lead, p in zip(leads, people, strict=True):
        history = list(p["history"])
        if labelled:  # the call that decided it
            if p["converted"]:
                history.append((CallOutcome.ANSWERED, "sale", max(120, int(rng.gauss(420, 120)))))
            elif rng.random() < 0.6:
                history.append((CallOutcome.ANSWERED, "not_interested", max(10, int(rng.gauss(60, 30)))))
            else:
                history.append((CallOutcome.NO_ANSWER, "", 0))
        start = now - dt.timedelta(days=len(history) + 1)
        for number, (outcome, word, talk) in enumerate(history):
            at = start + dt.timedelta(days=number, minutes=rng.randint(0, 600))
            answered = outcome == CallOutcome.ANSWERED
            rows.append(Call(
                tenant=tenant, lead=lead, provider="simulator", to_number=lead.phone_e164, attempt=number + 1,
                status=CallStatus.COMPLETED if answered or outcome == CallOutcome.VOICEMAIL else outcome,
                outcome=outcome, disposition=word or outcome, talk_time=talk if answered else None,
                duration=talk + 10 if answered else 25, initiated_at=at, ended_at=at + dt.timedelta(seconds=talk + 10),
                finalized_at=at + dt.timedelta(seconds=talk + 11),
            ))  # fmt: skip
    Call.objects.bulk_create(rows, batch_size=5000)
    ids = [lead.pk for lead in leads]
    for start in range(0, len(ids), 2000):  # created_at (what histories sort by) is when each call was made
        Call.objects.filter(lead_id__in=ids[start : start + 2000]).update(created_at=F("initiated_at"))
    return [(lead.pk, p["converted"]) for lead, p in zip(leads, people, strict=True)]

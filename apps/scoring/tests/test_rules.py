"""The rule-based score and the facts it reads, without a database."""

import pytest

from apps.scoring import rules
from apps.scoring.features import CallHistory, LeadFacts, employees_of, seniority_of, source_kind


@pytest.mark.parametrize(
    ("title", "level"),
    [("", 0), ("Chief Executive Officer", 4), ("Co-Founder", 4), ("Vice President, Sales", 3), ("VP Marketing", 3),
     ("Director of IT", 3), ("Sales Manager", 2), ("Executive Assistant to the CEO", 1), ("Analyst", 1)],
)  # fmt: skip
def test_it_reads_seniority_from_the_title(title, level):
    assert seniority_of(title) == level


@pytest.mark.parametrize(("text", "people"), [("50-200", 125), ("500+", 500), ("10k", 10_000), ("Enterprise", 5000),
                                              ("", None), ("lots", None), ("1,200", 1200)])  # fmt: skip
def test_it_reads_company_size(text, people):
    assert employees_of(text) == people


@pytest.mark.parametrize(("source", "kind"), [("Referral from Bob", "referral"), ("website form", "inbound"),
                                              ("Trade show 2026", "event"), ("purchased list", "outbound"),
                                              ("", "unknown"), ("carrier pigeon", "other")])  # fmt: skip
def test_it_reads_the_source(source, kind):
    assert source_kind(source) == kind


def facts(**values) -> LeadFacts:
    base = {"seniority": 2, "employees": 100, "revenue": None, "industry": "", "industry_match": False,
            "interest": "", "priority": 3, "has_email": True, "has_company": True, "has_title": True,
            "source": "inbound", "pain_points": 0, "requirements": 0, "converted": False, "do_not_call": False,
            "history": CallHistory()}  # fmt: skip
    return LeadFacts(**{**base, **values})


def test_a_strong_lead_outscores_a_weak_one_and_says_why():
    strong = rules.score_rules(facts(seniority=4, employees=2000, revenue=5e7, interest="high", source="referral",
                                     history=CallHistory(attempts=2, answered=2, contacts=2, talk_seconds=600,
                                                         positive=1, signals=frozenset({"demo_interest"}))))  # fmt: skip
    weak = rules.score_rules(facts(seniority=0, employees=None, has_email=False, has_company=False, interest="low",
                                   source="outbound", history=CallHistory(attempts=5, unanswered=5,
                                                                          unanswered_streak=5)))  # fmt: skip
    assert 0 <= weak.overall < 0.4
    assert 0.75 < strong.overall <= 1
    assert strong.conversion_probability > 0.7
    assert weak.conversion_probability < 0.2
    assert {"Senior title/decision maker", "Has company information", "Requested product demo"} <= set(
        strong.positive_factors
    )
    assert "High priority - Schedule immediate call" in strong.recommendations
    assert "No email address" in weak.negative_factors and "5 calls without an answer" in weak.negative_factors
    assert any(r.startswith("Try another time of day") for r in weak.recommendations)
    for score in (strong, weak):
        parts = score.parts()
        assert set(parts) == {"overall_score", "demographic_score", "behavioral_score", "engagement_score",
                              "intent_score", "conversion_probability", "factors"}  # fmt: skip
        assert all(0 <= parts[k] <= 1 for k in parts if k != "factors")


def test_no_rule_outranks_do_not_call_conversion_or_a_dead_number():
    assert rules.score_rules(facts(seniority=4, interest="high", do_not_call=True)).overall == 0
    assert rules.score_rules(facts(history=CallHistory(attempts=1, answered=1, dnc=True))).overall == 0
    won = rules.score_rules(facts(converted=True))
    assert (won.overall, won.conversion_probability) == (1.0, 1.0)
    assert rules.score_rules(facts(seniority=4, history=CallHistory(attempts=1, unworkable=True))).overall <= 0.05


def test_a_lead_never_called_is_neutral_on_behaviour_and_is_told_to_be_called():
    score = rules.score_rules(facts())
    assert score.behavioral == 0.5
    assert "Not called yet: place a first call" in score.recommendations

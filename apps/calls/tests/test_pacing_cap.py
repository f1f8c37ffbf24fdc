"""Predictive pacing keeps abandoned calls under the campaign's cap (3% of answered calls).

`predictive_lines` is pure arithmetic; the simulation is make bench's (bench.dialer.PacingDay): whole
8-hour days of a human-agent campaign, dialed tick by tick as pace() does, no database. Before the
rule aimed below the cap and stopped counting agents still talking at it, a day of 5-minute calls
abandoned a quarter of its answered calls, and 2-minute calls at a 35% answer rate 3.2-3.5%."""

import pytest

from apps.calls.dialer.pacing import ABANDON_TARGET, predictive_lines
from bench.dialer import PacingDay

CAP = 0.03


def lines(**values) -> tuple[int, float]:
    params = {"free": 4, "soon_free": 2.0, "unanswered": 0, "answer_rate": 0.25, "abandon_rate": 0.0,
              "max_abandon_rate": CAP, "max_ratio": 3.0, **values}  # fmt: skip
    return predictive_lines(**params)


def test_with_no_abandons_it_dials_by_the_answer_rate_up_to_the_ratio_cap():
    assert lines() == (18, 3.0)  # 1 / 0.25 = 4, held at 3 lines per agent: (4 + 2) x 3
    assert lines(answer_rate=0.5) == (12, 2.0)
    assert lines(unanswered=5) == (13, 3.0)  # lines already ringing count against it


@pytest.mark.parametrize("abandon_rate", [CAP * ABANDON_TARGET, CAP, 0.05])
def test_at_its_target_it_is_progressive_and_only_free_agents_count(abandon_rate):
    assert lines(abandon_rate=abandon_rate) == (4, 1.0)
    assert lines(abandon_rate=abandon_rate, soon_free=50.0) == (4, 1.0)
    assert lines(abandon_rate=abandon_rate, unanswered=3) == (1, 1.0)


def test_a_zero_cap_means_progressive():
    assert lines(max_abandon_rate=0.0) == (4, 1.0)


def test_the_dialing_falls_steadily_as_abandons_near_the_target():
    steps = [lines(abandon_rate=CAP * ABANDON_TARGET * n / 20) for n in range(21)]
    counts, ratios = [n for n, _ in steps], [ratio for _, ratio in steps]
    assert counts == sorted(counts, reverse=True) and ratios == sorted(ratios, reverse=True)
    assert counts[0] == 18 and counts[-1] == 4
    assert counts[9] == 18  # full speed over (nearly) the first half of the way


@pytest.mark.parametrize(
    ("agents", "answer_rate", "handle_seconds"),
    [(10, 0.2, 120), (10, 0.35, 120), (25, 0.35, 120), (10, 0.35, 300), (5, 0.6, 300)],
)
def test_a_simulated_day_stays_under_the_cap_and_as_busy_as_progressive(agents, answer_rate, handle_seconds):
    params = {"agents": agents, "answer_rate": answer_rate, "handle_seconds": handle_seconds, "ring_seconds": 15}
    for seed in (1, 2):
        predictive = PacingDay(mode="predictive", seed=seed, **params).run()
        progressive = PacingDay(mode="progressive", seed=seed, **params).run()
        assert predictive["steady_abandon_rate"] <= CAP, predictive
        assert predictive["abandon_rate"] <= CAP, predictive  # the whole day, its first hour too
        assert progressive["abandon_rate"] == 0
        # As busy at least (within the noise of a day: with long calls and a high answer rate, where
        # progressive already keeps agents busy, predictive adds about nothing).
        assert predictive["utilisation"] >= progressive["utilisation"] - 0.01

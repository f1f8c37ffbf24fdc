"""The small framework every benchmark uses: timing helpers and the results file."""

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {
        "n": len(ordered),
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def time_calls(fn: Callable[[], object], *, n: int, warmup: int = 10, expect: int | None = 200) -> dict:
    """Time n calls of fn after a warm-up. A response whose status is not `expect` stops the bench:
    timing a 429 or a 500 instead of the real work would print a figure that means nothing."""

    def call() -> None:
        result = fn()
        status = getattr(result, "status_code", None)
        if expect is not None and status is not None and status != expect:
            raise RuntimeError(f"benchmarked call answered {status}, expected {expect}")

    for _ in range(warmup):
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_results(results: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC)
    document = {
        "timestamp": stamp.isoformat(),
        "commit": _git_commit(),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count() or 0},
        "benchmarks": results,
    }
    path = RESULTS_DIR / f"bench-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2))
    (RESULTS_DIR / "latest.json").write_text(json.dumps(document, indent=2))
    return path

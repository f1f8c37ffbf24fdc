"""python -m bench [--quick] [--only NAME ...]: run the benchmarks, print figures, write JSON."""

import argparse
import importlib
import json
import os
import sys
import time

# Every benchmark module, in the order they run. Later capabilities add theirs here.
BENCHMARKS = ["bench.api_baseline", "bench.leads", "bench.dialer", "bench.realtime", "bench.scoring"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names to run")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadvoice.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Benchmarks sign in far more often than a person would; the sign-in throttle has its own tests.
    os.environ.setdefault("THROTTLE_AUTH_RATE", "100000/min")
    import django

    django.setup()
    from django.core.management import call_command

    from bench.harness import write_results

    call_command("migrate", verbosity=0, interactive=False)
    results = {}
    for dotted in BENCHMARKS:
        module = importlib.import_module(dotted)
        if args.only and module.NAME not in args.only:
            continue
        started = time.monotonic()
        print(f"== {module.NAME}", flush=True)
        figures = module.run(quick=args.quick)
        figures["seconds"] = round(time.monotonic() - started, 1)
        results[module.NAME] = figures
        print(json.dumps(figures, indent=2), flush=True)
    path = write_results(results)
    print(f"results written to {path.relative_to(path.parent.parent)} (and results/latest.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

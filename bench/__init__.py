"""Benchmarks: `make bench` runs them against the embedded PostgreSQL and Redis (profile "bench"),
prints the figures and writes them as JSON under results/. Speed is measured here, never asserted
in tests."""

# LeadVoice: the two commands that matter are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench install install-dev chromium clean help

help:
	@echo "make run     start PostgreSQL, Redis, web, worker and beat with a seeded demo (Ctrl-C stops all)"
	@echo "make test    lint plus the whole test suite against real PostgreSQL and Redis"
	@echo "make lint    ruff check and format check"
	@echo "make format  apply ruff's formatting and safe fixes"
	@echo "make bench   run the benchmarks; figures printed and written to results/"
	@echo "make clean   remove the virtualenv and the embedded data (.data/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changes.
$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python -m leadvoice.devstack run

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint chromium
	$(BIN)/python -m leadvoice.devstack exec --profile test -- $(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests (apps/realtime/tests/test_console_browser.py) drive Debian's chromium through
# Playwright, which never downloads a browser of its own. Installed here when missing and we can (root
# with apt-get); never a reason for make test to fail: without it those tests skip, loudly.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing chromium for the browser tests (apt-get; log in .data/apt-chromium.log)"; \
	    mkdir -p .data; \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
	      || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; \
	    } >.data/apt-chromium.log 2>&1 \
	      || echo "make: WARNING: chromium could not be installed (see .data/apt-chromium.log): the browser tests will skip"; \
	  else \
	    echo "make: WARNING: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get): the browser tests will skip"; \
	  fi; \
	fi

bench: install-dev
	$(BIN)/python -m leadvoice.devstack exec --profile bench -- $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .data staticfiles .pytest_cache .ruff_cache

# newsmon — the targets the README names.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: help install demo demo-store dashboard test test-fast lint bench bench-extraction bench-mentions bench-dashboard bench-ingest bench-stories bench-soak bench-demo bench-first-chart bench-alerts screenshot clean

help:
	@echo "make demo      set up .venv, build the demo store through the real ingest, serve the dashboard on :8501"
	@echo "make test      run the whole test suite (unit, pipeline, browser)"
	@echo "make lint      ruff"
	@echo "make bench     every benchmark (bench-extraction, bench-mentions, bench-dashboard, bench-ingest, ...)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/newsmon demo

demo-store: $(STAMP)
	$(BIN)/newsmon demo --no-dashboard --no-progress

dashboard: $(STAMP)
	$(BIN)/newsmon dashboard

test: $(STAMP)
	bash .ci/ensure-chromium
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not slow"

lint: $(STAMP)
	$(BIN)/ruff check ingest dashboard tests benchmarks

bench: bench-extraction bench-mentions bench-dashboard bench-first-chart bench-ingest bench-stories bench-demo bench-alerts

bench-extraction: $(STAMP)
	$(BIN)/python benchmarks/extraction.py

bench-mentions: $(STAMP)
	$(BIN)/python benchmarks/mentions.py

bench-dashboard: $(STAMP)
	$(BIN)/python benchmarks/dashboard.py

bench-first-chart: $(STAMP) demo-store
	bash .ci/ensure-chromium
	$(BIN)/python benchmarks/first_chart.py --store data/demo-store --runs 5 --plain

bench-alerts: $(STAMP)
	$(BIN)/python benchmarks/alerts.py

bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

bench-stories: $(STAMP)
	$(BIN)/python benchmarks/stories.py

bench-soak: $(STAMP)
	$(BIN)/python -W ignore benchmarks/ingest_soak.py --pages 20000

bench-demo: $(STAMP)
	$(BIN)/python benchmarks/demo.py
	$(BIN)/python benchmarks/demo_quality.py

screenshot: $(STAMP) demo-store
	bash .ci/ensure-chromium
	NEWSMON_SCREENSHOT_STORE=data/demo-store $(BIN)/python -m pytest -q tests/dashboard/test_browser.py -k screenshot

clean:
	rm -rf build *.egg-info .pytest_cache

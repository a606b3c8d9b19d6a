# newsmon — the targets the README names.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: help install demo demo-store dashboard test test-fast lint bench bench-extraction bench-dates bench-store-pages bench-mentions bench-dashboard bench-pages bench-text-index bench-terms bench-ingest bench-stories bench-soak bench-demo bench-first-chart bench-interaction bench-alerts screenshot screenshots clean

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

# The dashboard draws PNG/SVG/PDF exports with Chromium: ensured as `make test` does. Without it (not root, no
# apt) the demo still runs; its image buttons then say what to install, and HTML, CSV and Parquet work.
demo: $(STAMP)
	-bash .ci/ensure-chromium
	$(BIN)/newsmon demo

demo-store: $(STAMP)
	$(BIN)/newsmon demo --no-dashboard --no-progress

dashboard: $(STAMP)
	-bash .ci/ensure-chromium
	$(BIN)/newsmon dashboard

test: $(STAMP)
	bash .ci/ensure-chromium
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not slow"

lint: $(STAMP)
	$(BIN)/ruff check ingest dashboard tests benchmarks

bench: bench-extraction bench-dates bench-store-pages bench-mentions bench-dashboard bench-terms bench-first-chart bench-interaction bench-ingest bench-stories bench-demo bench-alerts

bench-extraction: $(STAMP)
	$(BIN)/python benchmarks/extraction.py

bench-dates: $(STAMP)
	$(BIN)/python benchmarks/dates.py
	$(BIN)/python benchmarks/dates.py --ablation

bench-store-pages: $(STAMP)
	$(BIN)/python benchmarks/store_pages.py

bench-mentions: $(STAMP)
	$(BIN)/python benchmarks/mentions.py

bench-dashboard: $(STAMP)
	bash .ci/ensure-chromium
	$(BIN)/python benchmarks/dashboard.py --pages

# Every query of every page, from a real visit's query log, replayed; fails on any error. BENCH_STORE=<store> for
# another store than the demo's (its index is built in BENCH_CACHE, kept for the next run).
BENCH_STORE ?= data/demo-store
BENCH_CACHE ?= /tmp/newsmon-bench-pages-cache
bench-pages: $(STAMP) demo-store
	bash .ci/ensure-chromium
	$(BIN)/python benchmarks/page_queries.py --store $(BENCH_STORE) --cache $(BENCH_CACHE)

# The revision the dashboard benchmarks measure beside, in the same run: the dashboard before issue 15's work.
# `make bench-interaction BASELINE=<rev>` for another; `BASELINE=` (empty) runs bench-text-index on this tree only.
BASELINE ?= cf7787c

# The text index's build child: time and peak memory, beside BASELINE. `MEMORY_LIMIT=800` (MB, root) also runs
# each build inside a memory cgroup of that size and says whether it finished.
# The words of "why the spike?" and of the text index: their cost over a spike's texts and words with combining
# marks on real pages, beside the tree before marks were part of words (a43e88a).
bench-terms: $(STAMP) demo-store
	$(BIN)/python benchmarks/terms.py --store $(BENCH_STORE)

bench-text-index: $(STAMP) demo-store
	$(BIN)/python benchmarks/text_index_build.py --store $(BENCH_STORE) --work /tmp/newsmon-bench-text-build \
		$(if $(BASELINE),--baseline $(BASELINE)) $(if $(MEMORY_LIMIT),--memory-limit $(MEMORY_LIMIT))

bench-first-chart: $(STAMP) demo-store
	bash .ci/ensure-chromium
	$(BIN)/python benchmarks/first_chart.py --store data/demo-store --runs 5 --plain

# Interaction latency in a real browser, beside BASELINE.
bench-interaction: $(STAMP) demo-store
	bash .ci/ensure-chromium
	$(BIN)/python benchmarks/interaction.py --store data/demo-store --baseline $(BASELINE) --actions 20

bench-alerts: $(STAMP)
	$(BIN)/python benchmarks/alerts.py

bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/ingest_speed.py

bench-stories: $(STAMP)
	$(BIN)/python benchmarks/stories.py

bench-soak: $(STAMP)
	$(BIN)/python -W ignore benchmarks/ingest_soak.py --pages 20000

bench-demo: $(STAMP)
	$(BIN)/python benchmarks/demo.py
	$(BIN)/python benchmarks/demo_quality.py

screenshot: $(STAMP) demo-store
	bash .ci/ensure-chromium
	NEWSMON_SCREENSHOT_STORE=data/demo-store $(BIN)/python -m pytest -q tests/dashboard/test_browser.py tests/dashboard/test_browser_screenshots.py -k screenshot

# docs/screenshot-*.png of the fixed views (hostile names shown as text, UTC times), made in a real browser.
screenshots: $(STAMP)
	bash .ci/ensure-chromium
	NEWSMON_WRITE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/dashboard/test_escape.py tests/dashboard/test_timezone.py -k browser

clean:
	rm -rf build *.egg-info .pytest_cache

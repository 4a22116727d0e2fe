# The two commands of the README: `make demo` (the main job) and `make test` (the tests).
# Both create .venv and install everything on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := postgresql chromium

.PHONY: demo test install system-deps lint typecheck labextension ui-test bench-quick \
	event-types check-generated

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# A pinned torch: on this project's machines it is the local CPU build; elsewhere pip
	@# picks the build for the platform (CUDA on Linux x86-64).
	$(BIN)/pip install --quiet torch==2.13.0
	@echo "Installing automl-assistant with all extras (llama.cpp compiles once: ~8 min on 2 cores)"
	$(BIN)/pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

# The JupyterLab extension, built with JupyterLab's own jlpm into jupyter_ext/labextension
# (what the wheel ships). For this editable install it is linked into .venv and the server
# extension enabled, the same two things a wheel install puts there.
LABEXT_NAME := automl-assistant-jupyterlab
LABEXT := jupyter_ext/labextension/package.json
LABEXT_SOURCES := package.json yarn.lock tsconfig.json .yarnrc.yml schema/plugin.json \
	$(wildcard src/*.ts) $(wildcard style/*)

$(LABEXT): $(STAMP) $(LABEXT_SOURCES)
	PATH="$(CURDIR)/$(BIN):$$PATH" jlpm install
	PATH="$(CURDIR)/$(BIN):$$PATH" jlpm build:prod
	mkdir -p $(VENV)/share/jupyter/labextensions $(VENV)/etc/jupyter/jupyter_server_config.d
	ln -sfn "$(CURDIR)/jupyter_ext/labextension" $(VENV)/share/jupyter/labextensions/$(LABEXT_NAME)
	cp jupyter_ext/jupyter-config/automl_assistant.json $(VENV)/etc/jupyter/jupyter_server_config.d/
	touch $(LABEXT)

labextension: $(LABEXT)

install: $(STAMP) $(LABEXT)

# PostgreSQL and Chromium serve the multi-machine and browser tests. Installed when we can
# (root with apt-get); otherwise those tests skip locally and fail in CI.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Not installed (tests that need them will skip):$$missing"; fi; \
	fi

demo: $(STAMP)
	$(BIN)/automl-assistant demo

# mypy over the package as installed (tools/ is assistant.tools) and the benchmarks that import
# it: see .ci/typecheck_tree.py.
typecheck: $(STAMP)
	$(BIN)/python .ci/typecheck_tree.py build/typecheck
	$(BIN)/mypy build/typecheck/assistant build/typecheck/benchmarks

lint: $(STAMP) typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) check-generated
	PATH="$(CURDIR)/$(BIN):$$PATH" jlpm lint
	PATH="$(CURDIR)/$(BIN):$$PATH" jlpm test

# The sidebar's payload types come from the payload models (assistant/events.py): their JSON
# Schema, then the TypeScript that json-schema-to-typescript makes of it. Both are checked in.
NODE_MODULES := node_modules/.yarn-state.yml
$(NODE_MODULES): $(STAMP) package.json yarn.lock
	PATH="$(CURDIR)/$(BIN):$$PATH" jlpm install
	touch $(NODE_MODULES)

event-types: $(STAMP) $(NODE_MODULES)
	$(BIN)/python -m assistant.event_schema src/events.schema.json
	PATH="$(CURDIR)/$(BIN):$$PATH" jlpm gen:types

# Fails when the checked-in schema or types are not what the models make now.
check-generated: event-types
	git diff --exit-code -- src/events.schema.json src/events.generated.ts

test: install system-deps lint
	$(BIN)/pytest
	$(MAKE) ui-test
	$(MAKE) bench-quick

# The search-quality benchmark's quick profile (a few minutes): every method side by side,
# the embedded LLM included. Its JSON, table and plot land in test-artifacts/benchmarks/;
# the committed figures in benchmarks/results/ and the frozen reference tables stay as
# they are. Missed targets are reported, not failed: they are measurements.
BENCH_OUT := test-artifacts/benchmarks
# Every method but SMAC (~3 s a suggestion: minutes of CI for no check the others lack) and
# auto_rule (on each task the same runs as tpe or gp); the full profile runs them all.
BENCH_QUICK_METHODS := random,tpe,tpe_default,cmaes,cmaes_default,gp,gp_default,ours_off,$\
ours_warmstart,ours_full,oracle_full,adversarial_full,noise_full,rho_0.3_full,rho_0.6_full,$\
rho_0.9_full,misleader_full
bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.quality --profile quick --methods $(BENCH_QUICK_METHODS) --out $(BENCH_OUT)
	@for f in summary.json quality_quick.json quality_quick.md quality_quick.png; do \
	  test -s $(BENCH_OUT)/$$f || { echo "benchmark output $$f is missing"; exit 1; }; done
	@echo "quick benchmark: results in $(BENCH_OUT)/"

# Browser tests of the sidebar: Galata (Playwright) driving Debian's Chromium against a real
# JupyterLab. Screenshots land in test-artifacts/ui-tests/. Without Chromium they are skipped,
# except in CI, where that is an error.
UI_STAMP := ui-tests/node_modules/.installed-stamp
$(UI_STAMP): ui-tests/package.json ui-tests/package-lock.json
	cd ui-tests && npm ci --no-audit --no-fund
	touch $(UI_STAMP)

ui-test: install
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ -n "$$CI" ]; then echo "CI needs /usr/bin/chromium (make system-deps as root)"; exit 1; fi; \
	  echo "Skipping the browser tests: /usr/bin/chromium is not installed"; exit 0; \
	fi; \
	$(MAKE) $(UI_STAMP) && cd ui-tests && PATH="$(CURDIR)/$(BIN):$$PATH" npx playwright test

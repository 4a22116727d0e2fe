# The two commands of the README: `make demo` (the main job) and `make test` (the tests).
# Both create .venv and install everything on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := postgresql chromium

.PHONY: demo test install system-deps lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# A pinned torch: on this project's machines it is the local CPU build; elsewhere pip
	@# picks the build for the platform (CUDA on Linux x86-64).
	$(BIN)/pip install --quiet torch==2.13.0
	@echo "Installing automl-assistant with all extras (llama.cpp compiles once: ~8 min on 2 cores)"
	$(BIN)/pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)

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

demo: install
	$(BIN)/automl-assistant demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install system-deps lint
	$(BIN)/pytest

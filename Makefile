# careflow: `make run` serves the app on http://127.0.0.1:5000 (and a mail catcher), `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.careflow-installed
HOST ?= 127.0.0.1
PORT ?= 5000
MAIL_PORT ?= 1025

.PHONY: install system-deps db run test test-fast bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Front-end assets: GOV.UK Frontend and bpmn-js from npm, compiled into app/static/dist/.
NPM_STAMP := node_modules/.installed
ASSETS := app/static/dist/.built

$(NPM_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

$(ASSETS): $(NPM_STAMP) scripts/build-assets.mjs app/static/src/careflow.scss $(wildcard app/static/src/modeller/*)
	node scripts/build-assets.mjs

install: $(STAMP) $(NPM_STAMP) $(ASSETS)

# Debian packages the tests need (PostgreSQL server, Chromium); skipped when already there.
system-deps:
	@bash scripts/system-deps.sh

db: install
	$(BIN)/careflow db upgrade
	$(BIN)/careflow demo

# A local mail catcher (SMTP on 127.0.0.1:$(MAIL_PORT), messages kept in instance/mail/) runs beside
# the app unless SMTP_HOST names a real server; /outbox shows what was sent.
run: install db
	$(BIN)/careflow serve --host $(HOST) --port $(PORT) --mail-catcher $(MAIL_PORT)

test: install system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-fast: install
	$(BIN)/python -m pytest -q -x -p no:cacheprovider -m "not slow"

bench: install
	$(BIN)/python benchmarks/engine_overhead.py
	$(BIN)/python benchmarks/decisions.py
	$(BIN)/python benchmarks/inbox.py
	$(BIN)/python benchmarks/provider_failure_fanout.py
	$(BIN)/python benchmarks/timers.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/care_planning.py

lint: install
	$(BIN)/python -m ruff check workflows handlers app tests benchmarks

clean:
	rm -rf $(VENV) instance tests/output node_modules app/static/dist

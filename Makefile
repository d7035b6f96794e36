# The two commands: `make run` and `make test`. Everything is installed into
# the project (.venv, node_modules), nothing system-wide.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SCALE ?= 0.05
DEMO_SEED ?= 2020
WORKERS ?= 3

.PHONY: run test install assets fonts node lint check-migrations pytest serve clean

# constraints.txt pins the exact versions the suite was last run with (pyproject.toml
# gives the ranges); refresh it with `$(BIN)/pip freeze --exclude-editable`.
$(BIN)/fangyi: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(BIN)/fangyi

install: $(BIN)/fangyi assets fonts

# PDFs (notices, certificates, labels, posters) embed a CJK TrueType font from
# Debian's fonts-wqy-zenhei; installed here when we may, else we say how.
fonts:
	@[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || [ -n "$$FANGYI_CJK_FONT" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -qq fonts-wqy-zenhei >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq fonts-wqy-zenhei >/dev/null; }; \
	  else echo "PDFs need a CJK TrueType font: sudo apt-get install fonts-wqy-zenhei (or set FANGYI_CJK_FONT=/path/font.ttf)"; fi; }

# npm (Debian's nodejs and npm) fetches the front-end libraries: installed here, like
# the font, when we are root with apt-get; else one line says what to run, and we stop.
# Checked only when the libraries are (re)installed, so a built tree needs no npm.
NPM_HINT := fangyi needs Node.js and npm to install its front-end libraries: run sudo apt-get install nodejs npm
define NPM_CHECK
command -v npm >/dev/null || { \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
    echo "== installing nodejs npm (Debian packages) =="; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null 2>&1 || \
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }; \
  fi; \
  command -v npm >/dev/null || { echo "$(NPM_HINT)" >&2; exit 1; }; }
endef

node:
	@$(NPM_CHECK)

# Front-end libraries come from the npm registry at set-up and are served from
# fangyi/static/vendor; pages never load anything from a CDN.
fangyi/static/vendor/.stamp: package.json package-lock.json
	@$(NPM_CHECK)
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p fangyi/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js fangyi/static/vendor/
	cp node_modules/jsqr/dist/jsQR.js fangyi/static/vendor/
	cp node_modules/@noble/ed25519/index.js fangyi/static/vendor/noble-ed25519.js
	cp node_modules/echarts/dist/echarts.min.js fangyi/static/vendor/
	mkdir -p fangyi/static/vendor/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
		node_modules/swagger-ui-dist/LICENSE fangyi/static/vendor/swagger-ui/
	touch $@

assets: fangyi/static/vendor/.stamp

run: install
	$(BIN)/fangyi migrate --noinput
	$(BIN)/fangyi demo --scale $(DEMO_SCALE) --seed $(DEMO_SEED) --if-empty
	$(BIN)/fangyi demo --print-logins
	@echo "fangyi is serving on http://$(HOST):$(PORT)/ with its job worker (Ctrl-C stops both)"
	@$(BIN)/fangyi worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn fangyi.wsgi:application --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--access-logfile - --error-logfile -

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check-migrations: install
	FANGYI_DATABASE_URL= $(BIN)/fangyi makemigrations --check --dry-run

# The whole suite on SQLite, then on PostgreSQL when FANGYI_TEST_DATABASE_URL is set.
pytest: install
	FANGYI_DATABASE_URL= FANGYI_TEST_REPLICA_DATABASE_URL= $(BIN)/pytest
	@if [ -n "$$FANGYI_TEST_DATABASE_URL" ]; then \
		echo "== the suite again on PostgreSQL =="; \
		FANGYI_DATABASE_URL="$$FANGYI_TEST_DATABASE_URL" $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "FANGYI_TEST_DATABASE_URL is not set: under CI the PostgreSQL run is required."; exit 1; \
	else \
		echo "SKIPPED: the PostgreSQL run (set FANGYI_TEST_DATABASE_URL=postgres://user:pass@host:port/db)."; \
	fi

test: lint check-migrations pytest

clean:
	rm -rf $(VENV) node_modules fangyi/static/vendor var/static

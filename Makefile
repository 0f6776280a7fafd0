# Fapiao Tracker. `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .stamps
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

FRONTEND_SRC := $(shell find frontend/src frontend/pwa frontend/index.html frontend/vite.config.ts frontend/tsconfig.json backend/i18n -type f 2>/dev/null)

.PHONY: install run scale test test-py test-pg test-frontend lint browser bench clean

install: $(STAMPS)/python $(STAMPS)/models $(STAMPS)/node frontend/dist/index.html

$(STAMPS)/python: pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# The CJK font the project's invoice generator draws with: it renders the calibration pages of
# the int8 text detector, and the tests' invoices.
$(STAMPS)/fonts:
	@mkdir -p $(STAMPS)
	@test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk)
	@touch $@

# The int8 text detector and the fused recogniser, derived from the installed wheel's models
# (backend/weights/quantise.py; each rebuilt only when its recipe changed).
# (The field tagger, `fapiao models --tagger`, is built on request only: the reader does not use it.)
$(STAMPS)/models: $(STAMPS)/python $(STAMPS)/fonts backend/weights/__init__.py backend/weights/quantise.py \
		backend/weights/synth.py
	$(BIN)/fapiao models
	@touch $@

$(STAMPS)/node: frontend/package.json frontend/package-lock.json
	@mkdir -p $(STAMPS)
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend/dist/index.html: $(STAMPS)/node $(FRONTEND_SRC)
	cd frontend && npm run build --silent

# Debian's chromium for the end-to-end tests (never a browser downloaded by a test tool).
browser: $(STAMPS)/browser
$(STAMPS)/browser: $(STAMPS)/fonts
	@mkdir -p $(STAMPS)
	@command -v chromium >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	@touch $@

run: install
	$(BIN)/fapiao run

# The scaled stack on this machine (backend/scale.py): PostgreSQL + Redis (started when down), Debian's nginx
# in front of 2 web processes, 2 workers, the scheduler and the simulator, from the files in deploy/.
scale: install $(STAMPS)/scale
	$(BIN)/fapiao run --scale

# What the scaled stack and its tests (pytest -m scale) need from Debian: nginx, PostgreSQL, Redis.
$(STAMPS)/scale:
	@mkdir -p $(STAMPS)
	@missing=""; \
	  test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	  command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  command -v pg_ctlcluster >/dev/null || missing="$$missing postgresql"; \
	  if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	@touch $@

test: install browser $(STAMPS)/scale
	$(MAKE) --no-print-directory lint test-frontend test-py test-pg

lint: $(STAMPS)/python
	$(BIN)/ruff check backend tests bench

test-frontend: $(STAMPS)/node
	cd frontend && npx vitest run

test-py: install browser
	$(BIN)/pytest -q

# The same suite (less the process-level and browser tests) on PostgreSQL, when one is reachable.
test-pg: $(STAMPS)/python
	@if $(BIN)/python -c "import psycopg2,sys; psycopg2.connect('$(PG_TEST_URL)').close()" 2>/dev/null; then \
	  FAPIAO_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -m "not e2e and not subprocess and not scale"; \
	else echo "test-pg: skipped, no PostgreSQL at $(PG_TEST_URL)"; fi

bench: install
	$(BIN)/python -m bench.latency

clean:
	rm -rf $(VENV) $(STAMPS) frontend/node_modules frontend/dist

# Lighthouse (npm dev dependency) on Debian's chromium against a fresh `fapiao run`: accessibility and best
# practices of the sign-in page and the signed-in Upload screen, and chromium's installability verdict.
.PHONY: lighthouse
lighthouse: install browser
	bench/lighthouse.sh

# TikTickets developer workflow. `make` alone lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
REQS := requirements.txt requirements-dev.txt
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install chromium hooks run test pytest lint format typecheck imports migrations-check check-deploy demo bench bench-campaign reliability ci messages scale-check

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): $(REQS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned requirements (only when they changed)

chromium: install ## A chromium for the browser tests: Debian's (apt-get) when missing, else Playwright's
	@bash scripts/ensure_chromium.sh

hooks: install ## Check each commit: ruff, ruff format, mypy on the changed files, migrations
	$(BIN)/pre-commit install

run: install ## Run the whole app with a demo tenant (daphne :$(PORT), worker, beat); Ctrl-C stops it
	PORT=$(PORT) $(BIN)/python scripts/dev_up.py

test: install chromium ## The whole suite: pytest, ruff, mypy, import-linter, migrations check
	$(MAKE) --no-print-directory pytest lint typecheck imports migrations-check

pytest: install chromium ## Only the pytest suite
	$(BIN)/pytest

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Apply ruff formatting and fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy with the Django and DRF plugins
	$(BIN)/mypy .

imports: install ## import-linter: apps depend one way, escape hatches included (scripts/layer_escape_hatches.py)
	$(BIN)/lint-imports

migrations-check: install ## Fail if models and migrations differ
	DJANGO_SETTINGS_MODULE=tiktickets.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

messages: install ## Extract and compile translations (pt-BR)
	$(BIN)/python manage.py makemessages -l pt_BR --ignore=.venv --ignore=.dev --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv

demo: install ## Create the demo tenant and print its credentials (services must be up)
	$(BIN)/python manage.py seed_demo_tenant

bench: install ## Benchmarks (at most 35 min: raw limits, every module, then the goals of issue 22 and B5; writes bench/results/)
	$(BIN)/python bench/run_all.py

bench-campaign: install ## B5 alone at 10,000 recipients (~18 min; writes bench/results/campaigns-*.json)
	$(BIN)/python bench/campaigns.py

scale-check: install ## Two app processes share everything (sessions, rate limits, files on S3, sockets); media on both backends
	$(BIN)/pytest tests/test_two_app_processes.py tests/test_media_storage.py

reliability: install ## Fault and security suite R1-R17 at scale 5 (figures in test-artifacts/reliability.txt)
	RELIABILITY_SCALE=5 $(BIN)/pytest tests/reliability

ci: ## What CI runs
	bash .ci/run

# The two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= $(shell scripts/find-python)
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint types check-migrations openapi openapi-check messages clean serve

$(BIN)/python:
	@test -n "$(PYTHON)" || (echo "No Python 3.12+ found (see scripts/find-python)"; exit 1)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

## make demo: a working Pappus with demo data at http://127.0.0.1:8000
demo: install
	$(BIN)/pappus migrate
	$(BIN)/pappus manage compilemessages --ignore .venv --verbosity 0
	$(BIN)/pappus manage collectstatic --noinput --verbosity 0
	$(BIN)/pappus demo
	$(BIN)/pappus serve

serve: install
	$(BIN)/pappus serve

## make test: the whole suite, on SQLite and (when reachable) PostgreSQL
test: install
	$(BIN)/pappus manage compilemessages --ignore .venv --verbosity 0
	VENV=$(VENV) scripts/test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: install
	$(BIN)/mypy .

check-migrations: install
	$(BIN)/pappus manage makemigrations --check --dry-run

# The schema does not depend on the database: export it in the embedded shape whatever the environment says.
EXPORT_OPENAPI := env -u PAPPUS_DATABASE_URL $(BIN)/pappus manage export_openapi_schema --api config.api.api --indent 2 --sorted

openapi: install
	$(EXPORT_OPENAPI) --output docs/openapi.json

openapi-check: install
	@fresh=$$(mktemp); trap 'rm -f "$$fresh"' EXIT; \
	$(EXPORT_OPENAPI) --output "$$fresh" && \
	{ diff -u docs/openapi.json "$$fresh" || { echo "docs/openapi.json is stale: run make openapi"; exit 1; }; }

messages: install
	cd pappus && ../$(BIN)/django-admin makemessages --settings config.settings -l ru -l nb -l zh_Hans --ignore '*/tests/*'

clean:
	rm -rf $(VENV) var

# The README's two commands. Both do all the set-up first (scripts/setup).
.PHONY: run test lint fmt ci

PY := .venv/bin/python
HOST := 127.0.0.1
PORT ?= 8000
DEMO_PKI_PORT ?= 8765

# Development mode: a local SQLite database under var/ unless DATABASE_URL says otherwise.
export DJANGO_DEBUG ?= 1

# The DEMO PKI (CA, OCSP, CRL, TSA) runs beside the server on 127.0.0.1:$(DEMO_PKI_PORT): scripts/run-demo.
run:
	@scripts/setup run
	@HOST=$(HOST) PORT=$(PORT) DEMO_PKI_PORT=$(DEMO_PKI_PORT) scripts/run-demo

test:
	@scripts/setup test
	@$(PY) -m pytest $(PYTEST_ARGS)

lint:
	@scripts/setup test
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/lint-imports

fmt:
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .

ci:
	@.ci/run

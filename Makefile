# The two commands of the README. Both provision what they need (see scripts/bootstrap.sh).
.PHONY: run test lint fast-test bench bench-eventbus

VENV := .venv
BIN := $(VENV)/bin

run:
	scripts/run.sh

test:
	scripts/bootstrap.sh test
	$(MAKE) lint
	$(BIN)/pytest

# While developing: everything but the end-to-end, chaos (real processes) and browser tests.
fast-test:
	$(BIN)/pytest -m "not e2e and not browser and not chaos"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports importlinter.ini
	$(BIN)/python -m lint.lock_in_sync
	$(BIN)/python -m lint.check_deploy  # the image, compose (docker compose config where installed), Kubernetes

# Every bench in its own servers, then bench/RESULTS.md (QUICK=1: shorter runs; ONLY=gateway,search).
bench:
	scripts/bootstrap.sh test
	$(BIN)/python bench/run_all.py $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

bench-eventbus:
	$(BIN)/python bench/eventbus.py

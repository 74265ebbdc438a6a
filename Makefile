# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
# Each creates .venv (if missing) and installs what it needs. `make test` also installs the
# Debian packages the tests need (scripts/system_deps.sh), then runs lint, types, the layer
# contract and the suite, and stops at the first that fails.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install model

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m lumbar_rom.app.serve --server.headless true --browser.gatherUsageStats false

test: $(STAMP)
	bash scripts/system_deps.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

model: $(STAMP)
	$(BIN)/python scripts/build_pose_model.py

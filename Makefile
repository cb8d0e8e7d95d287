# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/negsim run scenarios/kerry_moscow_2016.yaml -n 2000

test: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/mypy sim
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/mypy sim

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py -n 3000
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/compare.py -n 1000 -R 20 --workers 2
	$(BIN)/python benchmarks/sweep.py

docs: $(STAMP)
	$(BIN)/python -m sim.scenario.docgen > docs/scenario-reference.md
	$(BIN)/negsim schema > schema/scenario.schema.json

clean:
	rm -rf $(VENV)

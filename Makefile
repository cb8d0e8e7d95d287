# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint bench bench-deps docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	$(BIN)/python -m sim.engine.protocols  # compile the engine's kernels once (under a minute)
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/negsim run scenarios/kerry_moscow_2016.yaml -n 2000

# The full suite, as CI runs it: lint, types, the layering contract, every test on two workers.
test: lint
	$(BIN)/python -m pytest -n 2

# The fast loop (under 90 s): the same checks and the tests not marked slow.
check: lint
	$(BIN)/python -m pytest -n 2 -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/mypy sim
	$(BIN)/lint-imports

# Every goal of issue 22 as a ratio beside its goal (NegMAS side by side needs `make bench-deps`).
bench: $(STAMP)
	@echo "cores: $$(nproc)"
	$(BIN)/python benchmarks/engine.py -n 3000
	$(BIN)/python benchmarks/negmas_compare.py
	$(BIN)/python benchmarks/run.py --large 100000
	$(BIN)/python benchmarks/compare.py -n 1000 -R 20 --workers 2
	$(BIN)/python benchmarks/truce_parties.py
	$(BIN)/python benchmarks/sweep.py --repeat 2
	$(BIN)/python benchmarks/fit.py

bench-deps: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'

docs: $(STAMP)
	$(BIN)/python -m sim.scenario.docgen > docs/scenario-reference.md
	$(BIN)/negsim schema > schema/scenario.schema.json

clean:
	rm -rf $(VENV)

# storyexport: run `make help` for the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= auto

.DEFAULT_GOAL := help
.PHONY: help export install system-deps test lint bench clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

system-deps: ## install the Debian packages (Pango, Java, poppler, pandoc, LibreOffice, Noto CJK); needs root
	./scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	./scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install storyexport with its test tools

export: $(STAMP) ## export source/ to dist/ in every format
	$(BIN)/storyexport

test: $(STAMP) ## run the test suite, then validate the exported samples with `storyexport check`
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile tests
	$(BIN)/storyexport --quiet
	$(BIN)/storyexport check dist

lint: $(STAMP) ## ruff, then mypy (settings in pyproject.toml)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP) ## benchmarks against pandoc and bare WeasyPrint (N=100 articles by default)
	$(BIN)/python bench/run.py --n $${N:-100}

clean: ## remove dist/, the build state (.storyexport/) and caches (keeps .venv)
	rm -rf dist .storyexport .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +

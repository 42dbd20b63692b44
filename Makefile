# Two commands do everything: `make run` (set up, migrate, seed the demo, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format browser-deps clean

$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

run: $(BIN)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	@echo ""
	@echo "  Sổ nhật ký làm theo lời Bác đang chạy tại: http://$(HOST):$(PORT)"
	@echo ""
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

# Browser tests drive Debian's Chromium; install it when missing and possible (root + apt-get).
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation2 >/dev/null) \
		|| echo "Could not install chromium: browser tests will be skipped."; \
	else echo "No /usr/bin/chromium and no way to install it: browser tests will be skipped."; fi

test: $(BIN)/.installed-dev browser-deps
	$(BIN)/ruff check app tests config.py wsgi.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check app tests config.py wsgi.py
	$(BIN)/ruff format --check app tests config.py wsgi.py

format: $(BIN)/.installed-dev
	$(BIN)/ruff format app tests config.py wsgi.py
	$(BIN)/ruff check --fix app tests config.py wsgi.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

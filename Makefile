# Two commands do everything: `make run` (set up, migrate, seed the demo, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Every link in emails and QR codes is built from this address (and only Host headers naming it are
# served); set it to the address people really open, e.g. make run PUBLIC_BASE_URL=http://10.0.0.5:5000
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
# One test process per core; a test file stays in one process (its fixtures and services are shared).
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: run test lint format browser-deps system-deps clean bench bench-quick

# PyICU (Vietnamese order of names) is built against the system's ICU, and WeasyPrint subsets the PDF
# fonts with HarfBuzz-Subset (without it, with fontTools: ~7 % of a book's CPU, and a warning that
# the fallback will go): install them when missing and possible (root + apt-get), as browser-deps does.
system-deps:
	@if pkg-config --exists icu-uc 2>/dev/null && command -v g++ >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing ICU headers (libicu-dev, pkg-config, g++) to build PyICU..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config g++ >/dev/null; \
	else echo "PyICU needs ICU's headers: apt-get install libicu-dev pkg-config g++ (or your system's equivalent)."; fi
	@if ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing HarfBuzz-Subset (libharfbuzz-subset0) for WeasyPrint's font subsetting..."; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1 \
			|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 >/dev/null) \
			|| echo "libharfbuzz-subset0 could not be installed: PDFs are made with fontTools' slower subsetting."; \
	else echo "For faster PDFs install HarfBuzz-Subset: apt-get install libharfbuzz-subset0 (or your system's equivalent)."; fi

$(BIN)/.installed: requirements.txt | system-deps
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
	@echo "  Sổ nhật ký làm theo lời Bác đang chạy tại: $(PUBLIC_BASE_URL)"
	@echo ""
	@# The task-queue worker (bulk exports) runs beside gunicorn and stops when gunicorn stops.
	@export PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)'; \
	$(BIN)/flask worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

# Browser tests drive Debian's Chromium; the PDF tests read documents back with poppler-utils
# (pdftotext, pdffonts, pdfinfo). Install them when missing and possible (root + apt-get).
browser-deps:
	@if [ -x /usr/bin/chromium ] && command -v pdftotext >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium and poppler-utils for the browser and PDF tests..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation2 poppler-utils >/dev/null) \
		|| echo "Could not install chromium / poppler-utils: those tests will be skipped."; \
	else echo "No /usr/bin/chromium or pdftotext and no way to install them: those tests will be skipped."; fi

# Everything ruff looks at, migrations and benchmarks included.
LINT_PATHS := app tests bench migrations config.py wsgi.py

# The same lint as `make lint` runs first: a change that would fail it does not get to the tests.
test: lint browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff (errors, style, formatting), then lint-imports: the packages import only downward, in the layers
# of pyproject.toml's [tool.importlinter] (README, "Kiến trúc").
lint: $(BIN)/.installed-dev
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/lint-imports

format: $(BIN)/.installed-dev
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

# Province-scale benchmarks (issue 9): bench/results/latest.md and latest.json. The databases are
# built once and cached in /tmp/sonhatky-bench (keyed by the seed code, the migrations and the day).
# wrk is the load generator when it is installed (apt-get install wrk), else a Python one.
bench: $(BIN)/.installed-dev
	@command -v wrk >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 \
		|| DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || true
	$(BIN)/python bench/bench_scale.py

bench-quick: $(BIN)/.installed-dev
	$(BIN)/python bench/bench_scale.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

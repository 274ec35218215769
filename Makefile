# Plangraph: `make run` starts the product with demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: install run test lint chromium bench bench-quick lock messages clean

install: $(STAMP) $(COMPILED)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

run: install
	$(BIN)/python scripts/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The browser tests drive Debian's Chromium (never a browser a test tool
# downloads). Install it where we can; under CI a missing browser fails.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 poppler-utils; \
	  elif [ "$$CI" = "true" ]; then \
	    echo "Error: /usr/bin/chromium is missing; install Debian's chromium (apt-get install -y chromium)." >&2; exit 1; \
	  else \
	    echo "Warning: /usr/bin/chromium is missing; the browser tests will be skipped (apt-get install -y chromium)." >&2; \
	  fi; \
	fi

test: lint chromium
	$(BIN)/pytest

# Each benchmark measures its baseline in the same run and ends on `ratio=…`.
BENCHMARKS := transitions fanout board sweep

bench: install
	@for name in $(BENCHMARKS); do echo "== bench/$$name.py"; $(BIN)/python bench/$$name.py || exit 1; done

bench-quick: install
	@for name in $(BENCHMARKS); do echo "== bench/$$name.py --quick"; $(BIN)/python bench/$$name.py --quick || exit 1; done

# Regenerate the message catalogues' template and merge it into each language.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

# Re-pin every package after changing pyproject.toml's dependencies.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[test]'
	.lock-venv/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

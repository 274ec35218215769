# Plangraph: `make run` starts the product with demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: install run test lint system-packages bench bench-quick lock messages clean

install: $(STAMP) $(COMPILED)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

run: install
	@$(MAKE) --no-print-directory system-packages PACKAGES="$(RUN_PACKAGES)"
	$(BIN)/python scripts/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian packages the product and its tests use: Chromium for the browser
# tests (never a browser a test tool downloads), Pango and DejaVu fonts for
# PDF reports, pdftotext to read them back. Installed where we can (as root
# with apt); under CI anything missing fails the run.
RUN_PACKAGES := fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0
SYSTEM_PACKAGES := chromium poppler-utils $(RUN_PACKAGES)

system-packages:
	@missing=""; for package in $(or $(PACKAGES),$(SYSTEM_PACKAGES)); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  elif [ "$$CI" = "true" ]; then \
	    echo "Error: Debian packages missing:$$missing (apt-get install -y$$missing)." >&2; exit 1; \
	  else \
	    echo "Warning: Debian packages missing:$$missing; browser tests and PDF reports need them (apt-get install -y$$missing)." >&2; \
	  fi; \
	fi

test: lint system-packages
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

# `make run` and `make test` are the whole set-up on a fresh Debian or Ubuntu machine.
SHELL := /bin/bash
PYTHON := /usr/bin/python3
VENV := .venv
STAMP := $(VENV)/.installed

# What the service needs: LibreOffice Writer without a GUI, its Python bridge (the venv is
# made from the system Python to see it), fonts metric-compatible with Times New Roman,
# Arial and Calibri so letters lay out as they do in Word, zbar's library (pyzbar
# reads scanned pages' QR codes with it when zxing-cpp could not), and jemalloc, on which
# LibreOffice converts about 15 % quicker than on glibc's malloc (docs/decisions.md).
RUN_PKGS := python3 python3-venv python3-uno libreoffice-writer-nogui \
	fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea fonts-dejavu-core \
	libzbar0 libjemalloc2
# What the tests need besides: pdftotext/pdftoppm, a QR reader, the browser and its
# driver, and Redis for the multi-worker print-queue test.
TEST_PKGS := poppler-utils qpdf zbar-tools chromium chromium-driver redis-server

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test system-run system-test venv clean-venv axe

# axe-core, the accessibility checker the browser tests inject into every page state
# (tests/axe.py): pinned by tests/axe/package-lock.json, installed with npm ci into
# tests/axe/node_modules (git-ignored), so a fresh machine gets the same version.
AXE := tests/axe/node_modules/axe-core/axe.min.js

run: system-run $(STAMP)
	$(VENV)/bin/pulang init
	$(VENV)/bin/pulang serve

# Two test processes, each test file whole in one of them (its module fixtures, its
# LibreOffice pool): most of a file's time is waiting on LibreOffice, Chromium or a
# subprocess, so two files at once fill two cores (docs/performance.md, the test suite).
TEST_JOBS ?= 2

# PYTHONDONTWRITEBYTECODE (set on some machines) would make each of the run's few
# hundred Python processes (pulang commands, converter and stamping workers) compile
# the service's modules again: the test run keeps Python's bytecode cache.
test: system-run system-test $(STAMP) $(AXE)
	env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/python -m pytest -n $(TEST_JOBS) --dist loadfile

system-run:
	@bash .ci/apt-ensure $(RUN_PKGS)

system-test:
	@bash .ci/apt-ensure $(TEST_PKGS)

$(STAMP): pyproject.toml
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

axe: $(AXE)

$(AXE): tests/axe/package.json tests/axe/package-lock.json
	@command -v npm >/dev/null || bash .ci/apt-ensure nodejs npm
	npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error
	@touch $(AXE)

clean-venv:
	rm -rf $(VENV)

# The web interface's English catalogue. Message ids are the Indonesian text: after
# changing a page, run this, translate the new empty entries in
# service/translations/en/LC_MESSAGES/messages.po, and run it again to compile the .mo
# (both are committed, so nothing compiles at run time; tests/test_web.py checks).
.PHONY: translations
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l --no-location --sort-output --project Pulang \
		-o service/translations/messages.pot .
	$(VENV)/bin/pybabel update -l en -i service/translations/messages.pot -d service/translations \
		--no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d service/translations --statistics

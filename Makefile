# kb: `make demo` runs the demo, `make test` runs the tests. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
WORDLISTS := wswedish hunspell-sv mythes-sv
APT_PACKAGES := chromium openssl faketime nginx $(WORDLISTS)

.PHONY: setup system-deps wordlists demo test test-fast lint bench bench-quick extract-bench nightly eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# Debian packages: chromium (browser tests), openssl (test TLS certificates), nginx (the reverse-proxy test), faketime (the living-site
# test runs each night under a fake clock), wswedish +
# hunspell-sv (Swedish word lists for decompounding), mythes-sv (the LibreOffice thesaurus: general synonyms).
# Installed when running as root.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; fi; \
	fi
endef

system-deps:
	$(call apt_install,$(APT_PACKAGES))

wordlists:
	$(call apt_install,$(WORDLISTS))

demo: setup wordlists
	$(VENV)/bin/kb demo

test: setup system-deps
	$(PY) -m pytest -q

# Static gate: style and complexity (ruff), types (mypy --strict), package boundaries (import-linter).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test-fast: setup
	$(PY) -m pytest -q -m "not browser and not slow"

eval: setup wordlists
	$(VENV)/bin/kb eval --baseline

bench: setup wordlists
	$(PY) -m bench.run

bench-quick: setup wordlists
	$(PY) -m bench.run --quick

# Main-content extraction: kb vs readability-lxml vs trafilatura on the public benchmarks (../shared/extraction)
# and the Swedish agency set; the two libraries are the `measure` extra, installed here for measuring only.
extract-bench: setup
	$(PY) -m pip install -q --disable-pip-version-check -e '.[measure]'
	$(PY) -m crawler.extract.measure --bench

# The living-site month: twelve nightly `kb -q update` runs against changing local sites, as a per-night table.
nightly: setup wordlists
	$(call apt_install,faketime)
	$(PY) -m bench.nightly

clean:
	rm -rf $(VENV) data .pytest_cache

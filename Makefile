# rashrisk: the two commands in the README do all the set-up on a fresh machine.
#   make demo   simulate, validate, train and report on the embedded default
#   make test   the whole test suite
#   make test-server   rashrisk against an MLflow tracking server on PostgreSQL (not part of make test)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
DEMO_OUT ?= out/demo
DEMO_PATIENT ?= SIM000002

# Debian packages: WeasyPrint's libraries and a font (PDF), Chromium (browser tests).
DEB_PDF     := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
DEB_BROWSER := chromium
# PostgreSQL's server (initdb, pg_ctl) and client (psql, pg_dump), for make test-server.
DEB_SERVER  := postgresql
SERVER_STAMP := $(VENV)/.installed-server

.PHONY: demo test test-server venv system-pdf system-browser system-server clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

venv: $(STAMP)

system-pdf:
	@missing=""; for p in $(DEB_PDF); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

system-browser:
	@missing=""; for p in $(DEB_BROWSER); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

system-server:
	@missing=""; for p in $(DEB_SERVER); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

# the test extras plus the PostgreSQL driver of the server extra (only this target installs it)
$(SERVER_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,server]'
	touch $@

# The main job on the embedded defaults, one visible command per step.
demo: $(STAMP) system-pdf
	@echo "== 1. validate the example cohort shipped with the package"
	$(BIN)/rashrisk validate "$$($(BIN)/python -c 'import rashrisk.data as d; print(d.example_cohort_path())')"
	@echo "== 2. simulate a 712-patient virtual GIST cohort (the source study's size)"
	$(BIN)/rashrisk simulate --n 712 --seed 20251 --out $(DEMO_OUT)/cohort
	@echo "== 3. validate it"
	$(BIN)/rashrisk validate $(DEMO_OUT)/cohort
	@echo "== 4. reproduce the source study's analysis on it"
	$(BIN)/rashrisk analyze $(DEMO_OUT)/cohort
	@echo "== 5. train both stages (nested CV, calibration, bootstrap validation; MLflow store in ~/.local/share/rashrisk/mlruns/)"
	$(BIN)/rashrisk train $(DEMO_OUT)/cohort --stage both --experiment demo --jobs 2
	$(BIN)/rashrisk models
	@echo "== 6. score every patient at imatinib start and after the first trough"
	$(BIN)/rashrisk score $(DEMO_OUT)/cohort --stage start --out $(DEMO_OUT)/scores-start.csv
	$(BIN)/rashrisk score $(DEMO_OUT)/cohort --stage tdm --out $(DEMO_OUT)/scores-tdm.csv
	@echo "== 7. a clinician report for one patient (HTML and PDF)"
	$(BIN)/rashrisk report $(DEMO_PATIENT) --cohort $(DEMO_OUT)/cohort --stage tdm --out $(DEMO_OUT)/report-$(DEMO_PATIENT).html --pdf $(DEMO_OUT)/report-$(DEMO_PATIENT).pdf
	@echo "demo outputs are in $(DEMO_OUT)/"

test: $(STAMP) system-pdf system-browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# A throw-away PostgreSQL cluster and `mlflow server` on loopback, the tests/server module against
# them (two trainings at once, registry, champion, promotion, scoring), both stopped at the end.
test-server: $(SERVER_STAMP) system-server
	BIN=$(BIN) bash scripts/test_server.sh

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis

# Hộ tịch BPMN — `make run` sets up and starts the app; `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
VENDOR := app/web/static/vendor

.PHONY: setup run test test-sqlite test-postgres lint bench clean

setup: $(VENV)/.installed node_modules/.installed $(VENDOR)/.installed

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# the modeler page's bundle (app/web/static/js/modeler/: bpmn-js Modeler, properties panel, our lint rules)
MODELER_SRC := $(wildcard app/web/static/js/modeler/*.js app/web/static/js/modeler/*.json app/web/static/js/modeler/*/*.js)

$(VENDOR)/.installed: node_modules/.installed $(MODELER_SRC) Makefile
	mkdir -p $(VENDOR)/bpmn-js $(VENDOR)/modeler $(VENDOR)/swagger-ui
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js node_modules/bpmn-js/dist/bpmn-modeler.production.min.js $(VENDOR)/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets $(VENDOR)/bpmn-js/
	cp node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css node_modules/bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css $(VENDOR)/modeler/
	node_modules/.bin/esbuild app/web/static/js/modeler/index.js --bundle --minify --format=iife --target=es2019 --log-level=warning --outfile=$(VENDOR)/modeler/modeler.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/swagger-ui/
	touch $@

# SQLite by default (DATABASE_URL for PostgreSQL); migrations, demo data, then gunicorn with the job runner thread.
run: setup
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app seed-demo
	HOTICH_JOB_RUNNER=thread $(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - 'app:create_app()'

# Every test on SQLite, then the database-touching suites again on PostgreSQL (tests/concurrency: the live
# `make run` stack under load, once per backend).
# The live-stack load tests (marker `live`) run alone after the rest: they measure the stack, and must not
# share the machine's cores with three other test workers.
PG_SUITES := tests/web tests/services tests/department tests/training tests/documents/test_issued_papers.py \
	tests/concurrency tests/test_migrations.py
test: setup lint
	$(BIN)/pytest -q -p no:cacheprovider -n 4 -m "not live"
	$(BIN)/pytest -q -p no:cacheprovider -m live
	HOTICH_TEST_DB=postgres $(BIN)/pytest -q -p no:cacheprovider -n 4 -m "not live" $(PG_SUITES)
	HOTICH_TEST_DB=postgres $(BIN)/pytest -q -p no:cacheprovider -m live $(PG_SUITES)

lint: setup
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy --strict --follow-imports=silent app/engine app/domain app/services app/procedures app/documents \
		app/forms app/models app/integrations

bench: setup
	$(BIN)/python bench/birth_path.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR)

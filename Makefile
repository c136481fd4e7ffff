# make demo / make test set everything up (a .venv with the project installed) and run.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install demo test test-all bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/actlocally areas
	$(VENV)/bin/actlocally run scenarios/baseline_keighley_central.toml --replicates 2 --out outputs/demo/baseline_keighley_central.nc
	$(VENV)/bin/actlocally run scenarios/keighley_breakfast_and_food_hub.toml --replicates 2 --out outputs/demo/keighley_breakfast_and_food_hub.nc
	$(VENV)/bin/actlocally run scenarios/baseline_manningham_girlington.toml --replicates 2 --out outputs/demo/baseline_manningham_girlington.nc
	$(VENV)/bin/actlocally run scenarios/manningham_mhst_and_dixons_hub.toml --replicates 2 --out outputs/demo/manningham_mhst_and_dixons_hub.nc
	$(VENV)/bin/actlocally run scenarios/baseline_holme_wood.toml --replicates 2 --out outputs/demo/baseline_holme_wood.nc
	$(VENV)/bin/actlocally run scenarios/holme_wood_school_hub.toml --replicates 2 --out outputs/demo/holme_wood_school_hub.nc

test: install
	$(PY) -m pytest -q

test-all: install
	$(PY) -m pytest -q -m ""

bench: install
	$(VENV)/bin/actlocally bench

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

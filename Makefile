# make demo / make test set everything up (a .venv with the project installed) and run.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install demo docs-images test test-all bench lint baseline clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# demo writes only under outputs/ (git-ignored), so `git status` stays clean and results are not stamped +dirty
demo: install
	$(VENV)/bin/actlocally areas
	$(VENV)/bin/actlocally compare act_locally_priorities --workers 2
	$(VENV)/bin/actlocally brief outputs/act_locally_priorities --scenario keighley_breakfast_and_food_hub \
		--png outputs/act_locally_priorities/brief_page1.png

# regenerate the pictures the README shows (tracked files): a deliberate act, committed with what changed them
docs-images: demo
	mkdir -p docs/images
	cp outputs/act_locally_priorities/effect_by_group.png docs/images/effect_by_group.png
	cp outputs/act_locally_priorities/brief_page1.png docs/images/brief_page1.png

test: install
	$(PY) -m pytest -q

test-all: install
	$(PY) -m pytest -q -m ""

bench: install
	$(VENV)/bin/actlocally bench
	$(VENV)/bin/actlocally bench-batch

# regenerate the exact regression baseline after a change meant to move numbers; review the diff of the means
baseline: install
	$(PY) tests/update_baseline.py

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info .numba_cache
	find . -path ./.venv -prune -o \( -name "*.nbi" -o -name "*.nbc" \) -print -delete

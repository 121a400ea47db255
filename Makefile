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

# Paths may hold spaces ("My Documents"): in rules they are written with escaped spaces (esc),
# in recipes quoted for the shell (q). No file name of a guide is ever pasted into a recipe:
# the only names that reach one are chapter stems, which match NN-slug and nothing else.
space := $(subst ,, )
esc    = $(subst $(space),\$(space),$(1))
q      = '$(subst ','\'',$(1))'
G     := $(call esc,$(GUIDE))
O     := $(call esc,$(OUT))

# The guide's slug by the loader's own rule (slug:, else the title), read without the venv.
SLUG := $(shell python3 studyguide/guideslug.py $(call q,$(GUIDE)/guide.yaml))

# The guide's files, each name's spaces escaped; chapters are the files named NN-slug.md (the
# loader reports any other file in chapters/ as an error).
# (Make's functions split words at every space, escaped or not: lists of escaped names are
# made in the shell and only ever used as prerequisites. A name holding a character Make reads
# as syntax (: ; # $ % * ? [ = …) is left out; the loader refuses such a name where it is used.)
CHAPTER_RE   = ^chapters/[0-9]{2}-[a-z0-9-]+\.md$$
guide_files  = $(shell cd $(call q,$(GUIDE)) 2>/dev/null && find . -type f ! -name '.*' | sed 's|^\./||' \
                 | LC_ALL=C grep -E '^[A-Za-z0-9._/ +,@()-]+$$' | LC_ALL=C $(1) | LC_ALL=C sort | P=$(call q,$(GUIDE)) awk '{print ENVIRON["P"] "/" $$0}' \
                 | sed 's/ /\\ /g')
# The names of all the guide's files, in a file that changes only when they change: a file
# added, removed or renamed (a chapter saved as .docx, a sources.bib, a name Make cannot hold)
# makes the loader run again and report it.
NAMES_FILE  := $(O)/.guide-files-$(SLUG)
$(shell mkdir -p $(call q,$(OUT)) && (cd $(call q,$(GUIDE)) 2>/dev/null && find . ! -name '.' | LC_ALL=C sort) > $(call q,$(OUT)/.guide-files-$(SLUG).new); \
        cmp -s $(call q,$(OUT)/.guide-files-$(SLUG).new) $(call q,$(OUT)/.guide-files-$(SLUG)) \
        && rm -f $(call q,$(OUT)/.guide-files-$(SLUG).new) \
        || mv -f $(call q,$(OUT)/.guide-files-$(SLUG).new) $(call q,$(OUT)/.guide-files-$(SLUG)))
GUIDE_FILES := $(call guide_files,cat) $(NAMES_FILE)
SHARED      := $(call guide_files,grep -vE '$(CHAPTER_RE)') $(NAMES_FILE)
STEMS       := $(patsubst chapters/%.md,%,$(shell cd $(call q,$(GUIDE)) 2>/dev/null && ls chapters \
                 | sed 's|^|chapters/|' | LC_ALL=C grep -E '$(CHAPTER_RE)'))
CHAPTERS    := $(STEMS:%=$(G)/chapters/%.md)
HANDOUTS    := $(STEMS:%=$(O)/$(SLUG)-handouts/%.pdf)
HANDOUT_LOG := $(O)/$(SLUG)-handouts/.built
ANSWER_LOG  := $(O)/$(SLUG)-handouts/teacher/.built
CODE        := build.py $(wildcard studyguide/*.py studyguide/*.lua) $(wildcard templates/*.j2 templates/*/*.j2) \
               $(wildcard styles/csl/*.csl)
PRINT_CSS   := styles/print.css styles/large-print.css styles/teacher.css
EPUB_CSS    := styles/epub.css
OUTPUTS     := $(O)/$(SLUG).pdf $(O)/$(SLUG).epub $(O)/$(SLUG).html $(O)/$(SLUG)-teacher.pdf \
               $(O)/$(SLUG)-teacher.epub $(O)/$(SLUG)-teacher.html $(HANDOUT_LOG) $(ANSWER_LOG)
# Outputs are written atomically; an interrupted make must not delete the one just renamed in.
.PRECIOUS: $(OUTPUTS)

# The print options are recorded in a file that changes only when they change, so
# `make PAPER=letter pdf` rebuilds while a repeated `make pdf` has nothing to do.
PRINT_OPTIONS := paper=$(or $(PAPER),default) profile=$(PROFILE)
OPTIONS_FILE  := $(O)/.print-options-$(SLUG)
$(shell mkdir -p $(call q,$(OUT)) && [ "$$(cat $(call q,$(OUT)/.print-options-$(SLUG)) 2>/dev/null)" = "$(PRINT_OPTIONS)" ] || echo "$(PRINT_OPTIONS)" > $(call q,$(OUT)/.print-options-$(SLUG)))

BUILD_ARGS := --guide $(call q,$(GUIDE)) --out $(call q,$(OUT)) --profile $(PROFILE) $(if $(PAPER),--paper $(PAPER))

# The registry of outputs (studyguide/outputs.py): $(REGISTERED), the files of the outputs
# without a rule of their own below ($(REGISTERED_FILES)) and their rules, one line each with
# ¶ for a newline ($(shell) joins lines). tests/test_registry.py checks the rules written here.
define newline


endef
$(eval $(subst ¶,$(newline),$(shell python3 studyguide/outputs.py make-rules)))

.PHONY: help pdf epub html teacher handouts all test check bench clean setup new $(REGISTERED)
.DEFAULT_GOAL := help

help:
	@echo "Targets:"
	@python3 studyguide/outputs.py make-help $(call q,$(OUT)) $(call q,$(SLUG))
	@echo "  make teacher     build $(OUT)/$(SLUG)-teacher.pdf and .epub: the guide with answer guidance"
	@echo "  make all         every output above, in both editions (build.py all, then all --edition teacher)"
	@echo "  make test        run the test suite"
	@echo "  make check       fail on any content or layout warning, EPUBCheck message or Ace by DAISY violation"
	@echo "  make bench       speed and memory at 1x, 4x and 16x the default guide, against WeasyPrint alone and pandoc"
	@echo "  make new GUIDE=../my-guide   start a new guide there, from a scaffold that builds at once"
	@echo "  make clean       remove $(OUT)/"
	@echo "Variables: GUIDE=dir (default content)  PAPER=a4|letter  PROFILE=standard|large  OUT=dir"

setup: $(STAMP)

new: | $(STAMP)
	@test "$(GUIDE)" != content || { echo "make new: name the new guide's folder, e.g. make new GUIDE=../my-guide" >&2; exit 2; }
	$(PY) build.py new $(call q,$(GUIDE))

# The Debian packages the build loads (installed or named by tools/setup-system.sh), then the venv.
$(STAMP): requirements.txt tools/setup-system.sh
	tools/setup-system.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# Ace by DAISY (accessibility checker), from package-lock.json; `make check` needs it,
# `make test` uses it when it can be installed and skips the Ace test otherwise.
$(ACE): package-lock.json tools/setup-ace.sh
	tools/setup-ace.sh
	touch $@

pdf: $(O)/$(SLUG).pdf
epub: $(O)/$(SLUG).epub
html: $(O)/$(SLUG).html
teacher: $(O)/$(SLUG)-teacher.pdf $(O)/$(SLUG)-teacher.epub
handouts: $(HANDOUT_LOG) $(ANSWER_LOG)
# Longest jobs first (the two PDFs, then the two halves of the handouts), so that
# `make -j2 all` keeps both cores busy to the end.
all: pdf teacher handouts epub html $(O)/$(SLUG)-teacher.html $(REGISTERED_FILES)

$(O)/$(SLUG).pdf: $(GUIDE_FILES) $(CODE) $(PRINT_CSS) $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py pdf $(BUILD_ARGS)

$(O)/$(SLUG).html: $(GUIDE_FILES) $(CODE) $(PRINT_CSS) $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py html $(BUILD_ARGS)

$(O)/$(SLUG)-teacher.html: $(GUIDE_FILES) $(CODE) $(PRINT_CSS) $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py html --edition teacher $(BUILD_ARGS)

# The EPUB's page list marks where each page of the PDF begins: the EPUB comes after its PDF.
$(O)/$(SLUG).epub: $(GUIDE_FILES) $(CODE) $(EPUB_CSS) $(O)/$(SLUG).pdf | $(STAMP)
	$(PY) build.py epub $(BUILD_ARGS)

$(O)/$(SLUG)-teacher.pdf: $(GUIDE_FILES) $(CODE) $(PRINT_CSS) $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py pdf --edition teacher $(BUILD_ARGS)

$(O)/$(SLUG)-teacher.epub: $(GUIDE_FILES) $(CODE) $(EPUB_CSS) $(O)/$(SLUG)-teacher.pdf | $(STAMP)
	$(PY) build.py epub --edition teacher $(BUILD_ARGS)

# The handouts and the answer keys are two jobs, so that `make -j2` can run them side by side;
# each builds all its chapters in one process (the model and fonts prepared once).
# A handout depends on its own chapter and the guide's shared files, not on other chapters:
# when only chapters changed, only their handouts are rebuilt. $? is split at spaces like
# $(CHAPTERS), so the comparison holds for paths with spaces; only words that are a chapter's
# stem (NN-slug) are passed on.
changed_chapters = $(if $(filter-out $(subst \$(space), ,$(CHAPTERS)),$?),,\
                     $(foreach stem,$(filter $(STEMS),$(basename $(notdir $?))),--chapter $(stem)))

$(HANDOUT_LOG): $(CHAPTERS) $(SHARED) $(CODE) styles/handout.css styles/large-print.css $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py handouts --edition student $(BUILD_ARGS) $(changed_chapters)
	touch $(call q,$@)

$(ANSWER_LOG): $(CHAPTERS) $(SHARED) $(CODE) styles/handout.css styles/large-print.css styles/teacher.css $(OPTIONS_FILE) | $(STAMP)
	$(PY) build.py handouts --edition teacher $(BUILD_ARGS) $(changed_chapters)
	touch $(call q,$@)

$(HANDOUTS): $(HANDOUT_LOG)

# The tools the tests call (poppler, Java for EPUBCheck, chromium and npm for Ace), then the suite
# on both cores. TEST_ARGS='-m "not layout"' runs the fast layer alone (no PDF laid out).
test: $(STAMP)
	tools/setup-system.sh test
	-@$(MAKE) --no-print-directory $(ACE) || echo "Ace by DAISY could not be installed: its test will be skipped"
	$(PY) -m pytest -q -n 2 $(TEST_ARGS)

check: $(O)/$(SLUG).pdf $(O)/$(SLUG).epub $(HANDOUT_LOG) | $(STAMP) $(ACE)
	$(PY) build.py check --guide $(call q,$(GUIDE)) --strict
	$(PY) tools/check_outputs.py $(call q,$(OUT)/$(SLUG).pdf) $(call q,$(OUT)/$(SLUG).epub) \
	  $(foreach h,$(STEMS),$(call q,$(OUT)/$(SLUG)-handouts/$(h).pdf))
	tools/ace_check.sh $(call q,$(OUT)/$(SLUG).epub) $(call q,$(OUT)/ace)

bench: | $(STAMP)
	$(PY) bench/bench.py

clean:
	rm -rf $(call q,$(OUT))

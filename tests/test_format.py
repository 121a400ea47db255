"""The guide format is read as a whole: keys, file names and files it does not know are
errors (or warnings) naming file and line, never dropped in silence."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, ROOT, run_build


@pytest.fixture
def guide(tmp_path):
    folder = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", folder)
    return folder


def check(guide, strict: bool = True):
    result = run_build("check", "--guide", str(guide), *(["--strict"] if strict else []))
    return result.returncode, result.stderr


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_keys_a_teacher_guesses_are_errors_naming_the_key_meant(guide):
    chapter = guide / "chapters" / "01-danube.md"
    edit(chapter, "    answer: TEACHER-ONLY-ANSWER-1", "    answer_guidance: TEACHER-ONLY-ANSWER-1")
    edit(chapter, "    level: document", "    kind: document")
    edit(chapter, "\nobjectives:", "\n“objectives”:")
    edit(guide / "guide.yaml", "subtitle:", "sub-title:")
    edit(guide / "glossary.yaml", "definition:", "meaning:")
    code, errors = check(guide)
    assert code == 1
    assert "chapters/01-danube.md:10: unknown key 'answer_guidance' in a question: did you mean 'answer'?" in errors
    assert "chapters/01-danube.md:12: unknown key 'kind' in a question: did you mean 'level'?" in errors
    assert ("chapters/01-danube.md:3: “objectives” uses curly quotes: YAML needs straight quotes "
            "(\"objectives\") or none (objectives:)") in errors
    assert "guide.yaml:2: unknown key 'sub-title' in guide.yaml: did you mean 'subtitle'?" in errors
    assert "unknown key 'meaning' in a glossary term: did you mean 'definition'?" in errors


def test_every_kind_of_entry_is_read_against_the_format(guide):
    (guide / "people.yaml").write_text("- name: Ada\n  role: A person.\n  birth: 1815\n", encoding="utf-8")
    edit(guide / "timeline.yaml", "  event:", "  evnt:")
    code, errors = check(guide)
    assert code == 1
    assert "people.yaml:3: unknown key 'birth' in a key person (known keys: chapter, hanzi, name, pinyin, role)" in errors
    assert "unknown key 'evnt' in a timeline event: did you mean 'event'?" in errors


@pytest.mark.parametrize("name, says", [
    ("03-black-sunday.MD", "'03-black-sunday.MD': chapter file names are a number, a dash and a lower-case slug, "
                           "ending in .md (rename it to 03-black-sunday.md)"),
    ("03-black-sunday.md.txt", "has a second extension (.txt, added by the editor): rename it to 03-black-sunday.md"),
    ("03-black-sunday.qmd", "is Markdown under another extension: rename it to 03-black-sunday.md"),
    ("03-black-sunday.docx", "is a word-processor file, which the builder cannot read: save it as Markdown, e.g. "
                             "pandoc 'chapters/03-black-sunday.docx' -t markdown -o chapters/03-black-sunday.md"),
    ("Black Sunday.md", "rename it to 01-black-sunday.md"),
])
def test_a_chapter_file_not_named_nn_slug_md_is_an_error_saying_what_to_do(guide, name, says):
    shutil.copy(guide / "chapters" / "02-rhine.md", guide / "chapters" / name)
    code, errors = check(guide)
    assert code == 1 and f"chapters/{name}: " in errors and says in errors, errors


def test_files_meant_for_the_builder_under_other_names_are_named(guide):
    (guide / "references.bib").write_text("@book{a, title={A}}\n", encoding="utf-8")
    (guide / "sources.enl").write_text("EndNote\n", encoding="utf-8")
    shutil.copy(guide / "glossary.yaml", guide / "glossary.yml")
    (guide / "README.txt").write_text("The teacher's own notes.\n", encoding="utf-8")
    code, errors = check(guide)
    assert code == 1
    assert "references.bib: 'references.bib' is not read under this name: rename it to sources.bib" in errors
    assert "sources.enl: a EndNote file is not read: export the library as CSL-JSON" in errors
    assert "glossary.yml: 'glossary.yml' is not read under this name: rename it to glossary.yaml" in errors
    assert "README" not in errors


def test_a_broken_json_source_list_says_json_with_its_line(guide):
    (guide / "sources.yaml").unlink()
    (guide / "sources.json").write_text('[{"id": "smith2001", "type": "book", "title": "A"},\n'
                                        ' {"id": "jones1999" "title": "B"}]\n', encoding="utf-8")
    code, errors = check(guide)
    assert code == 1
    assert "sources.json:2: invalid JSON: Expecting ',' delimiter (column 21)" in errors
    assert errors.count("error(s)") == 1 and "unknown source" not in errors  # one broken file, one error


def test_a_source_field_that_is_not_csl_is_a_warning(guide):
    edit(guide / "sources.yaml", "  title:", "  extra: 'OCLC: 40162792'\n  title:")
    code, errors = check(guide)
    assert code == 1 and "'extra' is not a CSL variable: it is not printed" in errors
    assert check(guide, strict=False)[0] == 0


def test_a_question_without_an_answer_is_a_warning_make_check_fails_on(guide):
    edit(guide / "chapters" / "01-danube.md", "    answer: TEACHER-ONLY-ANSWER-1 In the Black Forest.\n", "")
    code, errors = check(guide)
    assert code == 1 and "chapters/01-danube.md:8: warning: question without 'answer'" in errors
    assert check(guide, strict=False)[0] == 0


def test_make_and_the_loader_read_one_slug(guide, tmp_path):
    guide_yaml = guide / "guide.yaml"
    edit(guide_yaml, "slug: rivers\n", "")
    slug = subprocess.run(["python3", str(ROOT / "studyguide" / "guideslug.py"), str(guide_yaml)],
                          capture_output=True, text=True, check=True).stdout.strip()
    from studyguide.load import load_guide
    assert slug == load_guide(guide).slug == "rivers-of-europe"
    edit(guide_yaml, "title: Rivers of Europe", "title: >-\n  Rivers of\n  Europe")  # a title YAML folds
    code, errors = check(guide)
    assert code == 1 and "give it on a line of its own (slug: rivers-of-europe)" in errors


@pytest.mark.layout
def test_a_guide_without_a_slug_is_not_laid_out_again_by_make(guide, tmp_path):
    edit(guide / "guide.yaml", "slug: rivers\n", "")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    make = ["make", "--no-print-directory", f"GUIDE={guide}", f"OUT={tmp_path / 'out'}", "pdf"]
    first = subprocess.run(make, cwd=ROOT, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "out" / "rivers-of-europe.pdf").exists()
    again = subprocess.run(make, cwd=ROOT, capture_output=True, text=True, env=env)
    assert "Nothing to be done for 'pdf'" in again.stdout, again.stdout


@pytest.mark.layout
def test_two_guides_built_into_one_out_keep_their_handouts_apart(guide, tmp_path):
    edit(guide / "guide.yaml", "slug: rivers", "slug: streams")
    out = tmp_path / "out"
    for folder in (FIXTURES / "minimal", guide):
        result = run_build("handouts", "--edition", "student", "--guide", str(folder), "--out", str(out))
        assert result.returncode == 0, result.stderr
    assert (out / "rivers-handouts" / "all-handouts.pdf").exists()
    assert (out / "streams-handouts" / "all-handouts.pdf").exists()
    assert not (out / "handouts").exists()


def test_a_key_terms_sentence_does_not_end_at_an_initial_or_an_abbreviation(guide):
    (guide / "glossary.yaml").write_text(
        "- term: Danube\n  definition: Crossed by Franklin D. Roosevelt's U.S. Army c. 1945 near St. Pölten. "
        "Europe's second-longest river.\n"
        "- term: tributary\n  forms: [tributaries]\n  definition: A river that flows into a larger river. More.\n"
        "- term: delta\n  definition: Land at a river's mouth. More.\n", encoding="utf-8")
    from studyguide.load import load_guide
    shorts = {t.term: str(t.short) for t in load_guide(guide).glossary}
    assert shorts["Danube"].endswith("near St. Pölten."), shorts
    assert shorts["tributary"] == "A river that flows into a larger river."


def test_a_timeline_event_outside_the_figure_s_years_is_a_warning(guide):
    (guide / "figures.yaml").write_text("- id: timeline\n  kind: timeline\n  title: Rivers\n  alt: A timeline.\n"
                                        "  from: 1990\n  to: 2000\n", encoding="utf-8")
    (guide / "chapters" / "02-rhine.md").write_text(
        (guide / "chapters" / "02-rhine.md").read_text(encoding="utf-8") + "\nSee [[fig:timeline]].\n", encoding="utf-8")
    (guide / "timeline.yaml").write_text("- date: 1995\n  event: Inside.\n  label: Inside\n"
                                         "- date: 1850-05\n  event: Too early.\n  label: Early\n"
                                         "- date: 1850\n  event: Not drawn, no label.\n", encoding="utf-8")
    code, errors = check(guide)
    assert code == 1, errors
    assert ("timeline.yaml:5: warning: event 'Early' (1850) lies outside the years of timeline figure 'timeline' "
            "(1990–2000, figures.yaml:1): it is not drawn") in errors
    assert errors.count("lies outside") == 1

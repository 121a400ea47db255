"""Property: whatever a teacher's files hold, the loader gives a model or a clean content error."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from studyguide.errors import ContentError
from studyguide.load import load_guide

FILES = ["guide.yaml", "glossary.yaml", "sources.yaml", "timeline.yaml", "chapters/01-danube.md"]
YAML_BITS = st.sampled_from(["- ", ": ", "{", "}", "[", "]", "\n", "  ", "'", '"', "#", "&a", "*a", "!!python/object",
                             "---", "...", "term:", "id:", "date:", "[@", "[[", "]]", ">", "##", "|", "null", "~",
                             "1958-13-45", "\t", "\x00", "é", "下放", "@smith2001", "forms: ", "questions:"])


def mutate(text: str, position: int, insert: str, cut: int) -> str:
    position %= len(text) + 1
    return text[:position] + insert + text[position + cut:]


def load_mutated(file: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        guide = Path(tmp) / "g"
        shutil.copytree(FIXTURES / "minimal", guide)
        (guide / file).write_bytes(data)
        try:
            load_guide(guide)
        except ContentError as error:
            assert error.problems and all(str(p).startswith(str(guide)) for p in error.problems)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 150)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=st.sampled_from(FILES), position=st.integers(0, 2000), insert=st.lists(YAML_BITS, max_size=6).map("".join),
       cut=st.integers(0, 40))
def test_mutated_content_gives_model_or_content_error(file, position, insert, cut):
    original = (FIXTURES / "minimal" / file).read_text(encoding="utf-8")
    load_mutated(file, mutate(original, position, insert, cut).encode("utf-8"))


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)), deadline=None)
@given(file=st.sampled_from(FILES), data=st.binary(max_size=300))
def test_random_bytes_give_model_or_content_error(file, data):
    load_mutated(file, data)

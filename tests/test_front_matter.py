"""Front matter and the e-book's reading design: the cover (one drawing in the PDF and the
EPUB), the title page, the imprint, "How to use this guide"; the EPUB's nav without list
numbers, its measure and its own faces, looked at in Chromium as a reading system shows them."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pikepdf
import pytest

from conftest import FIXTURES, page_with, pdf_text, run_build
from studyguide.epub import FONTS

CHROMIUM = shutil.which("chromium")
NS = {"opf": "http://www.idpf.org/2007/opf", "svg": "http://www.w3.org/2000/svg"}
COVER_SVG_RE = re.compile(r'<svg[^>]*class="cover-art".*?</svg>', re.S)


def pages(path: Path) -> list[str]:
    return [" ".join(page.split()) for page in pdf_text(path).split("\f")]


def test_the_pdf_opens_with_title_page_imprint_content_note_and_how_to_use(default_guide):
    text = pages(default_guide.pdf)
    title, imprint = page_with(default_guide.pdf, "A study guide The Great Leap Forward"), \
        page_with(default_guide.pdf, "About this edition")
    assert title == imprint - 1 and title % 2 == 1  # a recto, the imprint on its back
    order = [title, imprint, page_with(default_guide.pdf, "Content note This guide"),
             page_with(default_guide.pdf, "How to use this guide Each chapter is one lesson"),
             page_with(default_guide.pdf, "Contents Content note")]
    assert order == sorted(order) and order[-1] <= 8, order
    assert order[4] == order[3] + 1  # "How to use this guide" on one page, not a page and three lines
    back = text[imprint - 1]
    assert "First edition, published 1 November 2026." in back
    assert "Research completed November 2026" in back
    assert "Creative Commons Attribution 4.0" in back and "CC BY 4.0" in back
    assert "How to cite this guide The Great Leap Forward: China, 1958–1962. First edition. " \
           "Study Guide Project, 2026." in back
    contents = text[order[-1] - 1]
    assert re.search(rf"How to use this guide \.*\s*{order[3]}\b", contents), contents


def test_a_guide_no_person_signs_names_no_author(default_guide):
    """The default guide names its publisher, not an author: no "by Study Guide Project"."""
    assert default_guide.guide.authors == () and default_guide.guide.publisher == "Study Guide Project"
    with pikepdf.open(default_guide.pdf) as pdf:
        assert "/Author" not in pdf.docinfo
    opf = next(t for n, t in default_guide.epub_files().items() if n.endswith(".opf"))
    assert "<dc:creator" not in opf


def test_without_a_licence_the_imprint_reserves_the_rights_and_cites_the_authors(minimal):
    back = pages(minimal.pdf)[page_with(minimal.pdf, "About this edition") - 1]
    assert "© 2025 Test Author and Second Author. All rights reserved." in back
    assert "Test Author and Second Author. Rivers of Europe: A small test guide. Test edition. 2025." in back


def epub_document(epub: Path, name: str) -> str:
    with zipfile.ZipFile(epub) as z:
        return z.read(f"EPUB/{name}").decode("utf-8")


def test_the_epub_holds_title_page_imprint_and_how_to_use_before_the_chapters(default_guide):
    files = default_guide.epub_files()
    opf = ET.fromstring(files["EPUB/content.opf"].encode())
    manifest = {i.get("id"): i.get("href") for i in opf.find("opf:manifest", NS)}
    spine = [manifest[r.get("idref")] for r in opf.find("opf:spine", NS)]
    assert spine[:4] == ["cover.xhtml", "title.xhtml", "nav.xhtml", "front.xhtml"]
    title = files["EPUB/title.xhtml"]
    assert 'epub:type="titlepage"' in title and "Creative Commons Attribution 4.0" in title
    assert "How to cite this guide" in title and "Study Guide Project, 2026." in title
    assert 'id="how-to-use"' in files["EPUB/front.xhtml"]
    nav = files["EPUB/nav.xhtml"]
    toc = nav[:nav.index("</nav>")]
    for entry in ('href="title.xhtml">Title page', 'href="title.xhtml#imprint">About this edition',
                  'href="front.xhtml#how-to-use">How to use this guide'):
        assert entry in toc, entry
    # the nav's own hierarchy: a document's sections in a list inside its entry
    assert re.search(r'<li><a href="title.xhtml">Title page</a>\s*<ol>\s*<li><a href="title.xhtml#imprint">', toc)


def guide_copy(tmp_path: Path, replace: str, by: str) -> Path:
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    yaml = guide / "guide.yaml"
    text = yaml.read_text()
    assert replace in text
    yaml.write_text(text.replace(replace, by))
    return guide


def test_a_guide_gives_its_own_how_to_use_page_or_leaves_it_out(tmp_path):
    own = guide_copy(tmp_path / "own", "language: en\n",
                     "language: en\nhow_to_use: |\n  OWN-ADVICE: read the *rivers* chapter first.\n")
    assert run_build("epub", "--guide", str(own), "--out", str(tmp_path / "own-out")).returncode == 0
    front = epub_document(tmp_path / "own-out" / "rivers.epub", "front.xhtml")
    assert "OWN-ADVICE: read the <em>rivers</em> chapter first." in front and "Start with the objectives" not in front
    off = guide_copy(tmp_path / "off", "language: en\n", "language: en\nhow_to_use: false\n")
    assert run_build("epub", "--guide", str(off), "--out", str(tmp_path / "off-out")).returncode == 0
    epub = tmp_path / "off-out" / "rivers.epub"
    assert "how-to-use" not in epub_document(epub, "front.xhtml") + epub_document(epub, "nav.xhtml")


def test_a_misspelt_front_matter_key_is_an_error_naming_the_key_meant(tmp_path):
    guide = guide_copy(tmp_path, "language: en\n", "language: en\nlicence: CC BY 4.0\n")
    result = run_build("epub", "--guide", str(guide), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert re.search(r"guide\.yaml:\d+: unknown key 'licence' in guide\.yaml: did you mean 'license'\?", result.stderr)


def cover_from_print(built) -> str:
    return COVER_SVG_RE.search(built.html.read_text()).group(0)


@pytest.mark.parametrize("which", ["minimal", "default_guide"])
def test_the_epub_cover_is_the_pdf_cover(which, request):
    """One drawing: the print document's cover is the EPUB's cover image and its cover page."""
    built = request.getfixturevalue(which)
    printed = cover_from_print(built)
    image = epub_document(built.epub, "images/cover.svg")
    assert COVER_SVG_RE.search(image).group(0) == printed
    assert COVER_SVG_RE.search(epub_document(built.epub, "cover.xhtml")).group(0) == printed
    drawing = ET.fromstring(printed)
    words = " ".join(t.text for t in drawing.iter(f"{{{NS['svg']}}}text"))
    assert built.guide.title.split()[0] in words and built.guide.subtitle in words
    fills = {e.get("fill") for e in drawing.iter() if e.get("fill")}
    assert {"#7a1f1f", "#f6f1e7"} <= fills
    # and the PDF shows it: its first page holds the drawing's words and its colours
    cover = " ".join(pdf_text(built.pdf, 1, 1).split())
    assert all(line in cover for line in (built.guide.subtitle, "A STUDY GUIDE"))
    assert pixel(built.pdf, 0.5, 0.05) == pytest.approx((0x7a, 0x1f, 0x1f), abs=3)  # the maroon field
    assert pixel(built.pdf, 0.5, 0.95) == pytest.approx((0xf6, 0xf1, 0xe7), abs=3)  # the paper below


def pixel(pdf: Path, x: float, y: float) -> tuple[int, int, int]:
    """The colour of the first page at (x, y), fractions of its width and height."""
    ppm = subprocess.run(["pdftoppm", "-r", "20", "-f", "1", "-l", "1", str(pdf)], capture_output=True,
                         check=True).stdout
    head = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    width, height = int(head.group(1)), int(head.group(2))
    at = head.end() + 3 * (int(y * height) * width + int(x * width))
    return tuple(ppm[at:at + 3])


def test_the_epub_carries_its_faces_unmodified_and_declares_each(default_guide):
    with zipfile.ZipFile(default_guide.epub) as z:
        names = set(z.namelist())
        for font in FONTS:
            assert z.read(f"EPUB/{font.file}") == Path(font.system_path).read_bytes(), font.file
    files = default_guide.epub_files()
    opf = ET.fromstring(files["EPUB/content.opf"].encode())
    fonts = {i.get("href"): i.get("media-type") for i in opf.find("opf:manifest", NS)
             if i.get("href").startswith("fonts/")}
    assert fonts == {font.file: font.media_type for font in FONTS}
    css = files["EPUB/styles/epub.css"]
    faces = re.findall(r'@font-face\s*{[^}]*font-family:\s*"([^"]+)"[^}]*src:\s*url\(\.\./([^)]+)\)', css)
    assert sorted(f for _, f in faces) == sorted(fonts) and all(f"EPUB/{f}" in names for _, f in faces)


def probe(epub: Path, document: str, width: int, script: str, tmp_path: Path) -> dict:
    """Run `script` (it sets `result`) in one of the book's documents in headless Chromium at
    `width` px, once its fonts are loaded; return what it found."""
    folder = tmp_path / f"book-{width}"
    with zipfile.ZipFile(epub) as z:
        z.extractall(folder)
    page = folder / "EPUB" / document
    probe_js = ("<script>//<![CDATA[\nPromise.all(Array.from(document.fonts, f => f.load().catch(() => f)))"
                ".then(function () { var result = {};\n" + script + "\nvar out = document.createElement('pre');"
                "out.id = 'probe'; out.textContent = JSON.stringify(result); document.body.appendChild(out); });"
                "\n//]]></script>")
    page.write_text(page.read_text().replace("</body>", probe_js + "</body>"))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000",
                          f"--window-size={width},900", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")


@needs_chromium
def test_the_nav_shows_no_list_numbers(default_guide, tmp_path):
    found = probe(default_guide.epub, "nav.xhtml", 1280, """
        result.styles = Array.from(document.querySelectorAll('nav li'), li => getComputedStyle(li).listStyleType);
        """, tmp_path)
    assert found["styles"] and set(found["styles"]) == {"none"}, set(found["styles"])


LINE_LENGTH = """
    result.perLine = Array.from(document.querySelectorAll('p'), function (p) {
        var lines = Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight));
        return lines > 2 ? p.textContent.length / lines : 0; });
    result.body = document.body.getBoundingClientRect().width;
    result.faces = Array.from(document.fonts, f => f.family + ' ' + f.weight + ' ' + f.style + ': ' + f.status);
    result.families = Array.from(new Set(Array.from(document.body.querySelectorAll('*'), e =>
        getComputedStyle(e).fontFamily.split(',')[0].trim().replace(/"/g, ''))));
    """


@needs_chromium
def test_a_wide_window_keeps_a_readable_measure_and_a_phone_is_filled(default_guide, tmp_path):
    wide = probe(default_guide.epub, "01-background.xhtml", 1280, LINE_LENGTH, tmp_path)
    longest = max(wide["perLine"])
    assert 55 <= longest <= 80, longest  # characters a line, the widest paragraph
    phone = probe(default_guide.epub, "01-background.xhtml", 360, LINE_LENGTH, tmp_path)
    assert phone["body"] >= 0.9 * 360 - 20, phone["body"]  # the text takes the phone's width


@needs_chromium
def test_every_face_of_the_book_loads_and_the_text_asks_for_no_other(default_guide, tmp_path):
    """No caption or label falls back to the reading system's sans (Arial): each element's
    first family is one the book carries (code aside)."""
    found = probe(default_guide.epub, "02-launch.xhtml", 360, LINE_LENGTH, tmp_path)  # it holds a figure
    assert len(found["faces"]) == len(FONTS) and all(f.endswith(": loaded") for f in found["faces"]), found["faces"]
    assert set(found["families"]) - {"monospace"} == {"Linux Libertine O", "Lato"}, found["families"]

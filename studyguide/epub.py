"""The EPUB 3 e-book: one XHTML document per chapter plus front and back matter.

ebooklib assembles the package (OPF, NCX, manifest, spine); the documents and the
nav are our own templates. The zip is then repacked with fixed entry times and
`xml:lang` on the package, so the same input gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import mimetypes
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ebooklib import epub
from markupsafe import Markup

from . import cite
from .files import atomic_write, read_guide_file
from .markup import FILE_NAME_RE
from .model import Guide
from .outputs import Job, named, progress
from .pagelist import PageMap, marker_id, place_page_breaks, read_page_map
from .cover import layout as cover_layout
from .render import Options, PrintOptions, environment, render_ebook_document, render_print, stylesheet

ID_RE = re.compile(r'\sid="([^"]+)"')
HREF_RE = re.compile(r'href="#([^"]+)"')
# The EPUB's vocabulary for what the model marks with an ARIA role alone (a glossary term's
# link): its epub:type goes in here, in the e-book only, in the attributes' (sorted) order.
ROLE_TAG_RE = re.compile(r'<\w+\b[^<>]*\srole="doc-(glossref)"[^<>]*>')
ATTRIBUTE_RE = re.compile(r'\s([\w:-]+)="')
OTHER_LANGUAGE_RE = re.compile(r'<(?!html\b)\w+\b[^>]*\slang="')  # a run marked with its own language
ACCESSIBILITY = [
    ("schema:accessMode", "textual"),
    ("schema:accessMode", "visual"),  # the cover and the charts; each chart has a data table
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "alternativeText"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
    # Holds because every build is checked: EPUBCheck and Ace by DAISY in the tests and `make check`.
    ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
]


@dataclass(frozen=True)
class Font:
    """A face the e-book carries, so that every reading system shows the print's faces
    (styles/epub.css names each in an @font-face rule)."""
    file: str  # inside the EPUB, beside styles/
    system_path: str
    package: str

    @property
    def media_type(self) -> str:
        return "font/otf" if self.file.endswith(".otf") else "font/ttf"


LIBERTINE, LATO = "/usr/share/fonts/opentype/linux-libertine/", "/usr/share/fonts/truetype/lato/"
FONTS = tuple(Font(f"fonts/{name}", folder + name, package) for folder, package, names in (
    (LIBERTINE, "fonts-linuxlibertine", ("LinLibertine_R.otf", "LinLibertine_RI.otf", "LinLibertine_RB.otf")),
    (LATO, "fonts-lato", ("Lato-Regular.ttf", "Lato-Bold.ttf"))) for name in names)
FONT_FILES = {font.file for font in FONTS}


class DeadLinkError(Exception):
    """A link inside the book points at an anchor no document holds (a builder bug)."""


@dataclass
class Document:
    file_name: str
    title: str
    xhtml: str
    kind: str = ""  # landmark type, if any
    sections: tuple[tuple[str, str], ...] = ()  # (anchor, title): more contents entries in this document


def build_documents(guide: Guide, options: Options) -> list[Document]:
    def doc(file_name, title, part, kind="", sections=(), **context):
        xhtml = with_epub_types(render_ebook_document("epub/document.xhtml.j2", guide, options, title, part=part,
                                                      **context))
        return Document(file_name, title, xhtml, kind, sections)

    front = ((("how-to-use", "How to use this guide"),) if guide.show_how_to_use else ()) + (
        (("teaching-guidance", "Teaching the difficult material"),) if options.teacher else ())
    docs = [doc("title.xhtml", "Title page", "parts/titlepage.html.j2", "titlepage", (("imprint", "About this edition"),)),
            doc("front.xhtml", "Content note", "parts/front.html.j2", "preface", front)]
    for chapter in guide.chapters:
        title = f"Chapter {chapter.number}: {chapter.title}"
        docs.append(doc(f"{chapter.number:02d}-{chapter.slug}.xhtml", title, "parts/chapter.html.j2",
                        "bodymatter" if chapter.number == 1 else "", chapter=chapter))
    if guide.timeline or guide.people:
        docs.append(doc("timeline.xhtml", guide.timeline_title, "parts/timeline.html.j2"))
    docs.append(doc("questions.xhtml", "Discussion questions", "parts/questions.html.j2"))
    docs.append(doc("glossary.xhtml", "Glossary", "parts/glossary.html.j2", "glossary"))
    docs.append(doc("sources.xhtml", cite.heading(guide), "parts/sources.html.j2", "bibliography"))
    return docs


def with_epub_types(xhtml: str) -> str:
    """epub:type="glossref" on every element of role="doc-glossref" (and so for the roles named above)."""
    def add(match: re.Match) -> str:
        tag = match.group(0)
        after = next((a.start() for a in ATTRIBUTE_RE.finditer(tag) if a.group(1) > "epub:type"), len(tag) - 1)
        return f'{tag[:after]} epub:type="{match.group(1)}"{tag[after:]}'

    return ROLE_TAG_RE.sub(add, xhtml)


def anchor_homes(docs: list[Document]) -> dict[str, str]:
    """Which document holds each anchor (id)."""
    return {anchor: d.file_name for d in docs for anchor in ID_RE.findall(d.xhtml)}


def resolve_links(docs: list[Document], home: dict[str, str]) -> None:
    """Point every `#anchor` link at the document that holds the anchor."""
    for d in docs:
        def target(match: re.Match, d=d) -> str:
            anchor = match.group(1)
            if anchor not in home:
                raise DeadLinkError(f"{d.file_name}: link to #{anchor}, which no document holds")
            where = home[anchor]
            return f'href="#{anchor}"' if where == d.file_name else f'href="{where}#{anchor}"'

        d.xhtml = HREF_RE.sub(target, d.xhtml)


def book_identifier(guide: Guide, options: Options) -> str:
    """Stable across rebuilds of the same guide and edition, different between guides."""
    name = f"studyguide:{guide.slug}:{guide.edition}:{options.edition}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def build_book(guide: Guide, options: Options, page_map: PageMap | None = None,
               printing: PrintOptions = PrintOptions()) -> epub.EpubBook:
    book = epub.EpubBook()
    book.set_identifier(book_identifier(guide, options))
    suffix = " (Teacher edition)" if options.teacher else ""
    book.set_title(guide.title + (f": {guide.subtitle}" if guide.subtitle else "") + suffix)
    book.set_language(guide.language)
    for number, author in enumerate(guide.authors, 1):
        book.add_author(author, uid=f"creator-{number}")  # ebooklib gives every author the same id
    if guide.description:
        book.add_metadata("DC", "description", guide.description)
    for keyword in guide.keywords:
        book.add_metadata("DC", "subject", keyword)
    book.add_metadata("DC", "date", guide.date.isoformat())
    for prop, value in ACCESSIBILITY:
        book.add_metadata(None, "meta", value, {"property": prop})
    if page_map is not None:
        book.add_metadata(None, "meta", "pageBreakMarkers", {"property": "schema:accessibilityFeature"})
        book.add_metadata(None, "meta", "pageNavigation", {"property": "schema:accessibilityFeature"})
        print_edition = ", ".join([printing.paper] + (["large print"] if printing.profile == "large" else [])
                                  + (["teacher edition"] if options.teacher else []))
        book.add_metadata(None, "meta", f"{guide.title}, PDF edition ({page_map.pdf}, {print_edition})",
                          {"property": "pageBreakSource"})
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})

    css = epub.EpubItem(uid="css", file_name="styles/epub.css", media_type="text/css",
                        content=stylesheet("epub.css").encode())
    book.add_item(css)
    for font in FONTS:
        book.add_item(epub.EpubItem(uid=f"font-{PurePosixPath(font.file).stem}", file_name=font.file,
                                    media_type=font.media_type, content=font_bytes(font)))
    cover_svg = environment().get_template("parts/cover.svg.j2").render(
        guide=guide, options=options, cover=cover_layout(guide, printing))
    cover_image = epub.EpubItem(uid="cover-image", file_name="images/cover.svg", media_type="image/svg+xml",
                                content=('<?xml version="1.0" encoding="utf-8"?>\n' + cover_svg).encode())
    cover_image.properties = ["cover-image"]
    book.add_item(cover_image)
    cover = epub.EpubItem(uid="cover", file_name="cover.xhtml", media_type="application/xhtml+xml",
                          content=render_ebook_document("epub/cover.xhtml.j2", guide, options, "Cover",
                                                        cover_svg=Markup(cover_svg)).encode())
    cover.properties = ["svg"]
    book.add_item(cover)

    for image in dict.fromkeys(i for chapter in guide.chapters for i in chapter.images):
        media_type = mimetypes.guess_type(image)[0] or "application/octet-stream"
        book.add_item(epub.EpubItem(uid=f"img-{len(book.items)}", file_name=image, media_type=media_type,
                                    content=image_bytes(guide, image)))
    docs = build_documents(guide, options)
    homes = anchor_homes(docs)
    resolve_links(docs, homes)
    pages = mark_pages(docs, page_map) if page_map is not None else []
    other_languages = any(OTHER_LANGUAGE_RE.search(d.xhtml) for d in docs)
    book.add_metadata(None, "meta", accessibility_summary(page_map is not None, other_languages),
                      {"property": "schema:accessibilitySummary"})
    items = []
    for i, d in enumerate(docs):
        item = epub.EpubItem(uid=f"doc{i}", file_name=d.file_name, media_type="application/xhtml+xml",
                             content=d.xhtml.encode())
        if "<svg" in d.xhtml:
            item.properties = ["svg"]
        book.add_item(item)
        items.append(item)
    nav = epub.EpubItem(uid="nav", file_name="nav.xhtml", media_type="application/xhtml+xml",
                        content=render_nav(guide, options, docs, homes, pages).encode())
    nav.properties = ["nav"]
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.toc = [epub.Link(entry["href"], entry["title"], f"toc{i}") for i, entry in enumerate(contents(docs))]
    book.spine = [cover, items[0], nav, *items[1:]]  # the title page before the contents
    return book


def font_bytes(font: Font) -> bytes:
    """A font file as Debian installs it (unmodified: the SIL Open Font License travels inside it)."""
    try:
        return Path(font.system_path).read_bytes()
    except OSError as exc:
        raise FileNotFoundError(f"{font.system_path}: the e-book embeds this font; install {font.package} "
                                f"(tools/setup-system.sh does)") from exc


def image_bytes(guide: Guide, image: str) -> bytes:
    """A picture of the guide, named by its path relative to the guide folder. The loader has
    checked it; the e-book checks again, for it must never carry a file from elsewhere."""
    path = PurePosixPath(image)
    if path.is_absolute() or ".." in path.parts or not FILE_NAME_RE.fullmatch(image):
        raise ValueError(f"image '{image}' is not a relative path inside the guide")
    return read_guide_file(guide.root, guide.root / image)


def mark_pages(docs: list[Document], page_map: PageMap) -> list[dict]:
    """Page-break markers in the documents where the PDF's pages begin; the page list."""
    marked, pages = place_page_breaks([d.xhtml for d in docs], page_map)
    for d, xhtml in zip(docs, marked):
        d.xhtml = xhtml
    return [{"label": label, "href": f"{docs[index].file_name}#{marker_id(label)}"} for label, index in pages]


def contents(docs: list[Document]) -> list[dict]:
    """The book's contents: each document, then the further sections it holds."""
    return [entry for d in docs for entry in ({"href": d.file_name, "title": d.title},
                                               *({"href": f"{d.file_name}#{anchor}", "title": title}
                                                 for anchor, title in d.sections))]


def contents_tree(docs: list[Document]) -> list[dict]:
    """The contents as the nav nests them: each document, the further sections it holds under it."""
    return [{"href": d.file_name, "title": d.title,
             "children": [{"href": f"{d.file_name}#{anchor}", "title": title} for anchor, title in d.sections]}
            for d in docs]


def render_nav(guide: Guide, options: Options, docs: list[Document], homes: dict[str, str],
               pages: list[dict]) -> str:
    toc = contents_tree(docs)
    landmarks = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                 {"type": "toc", "href": "nav.xhtml#toc", "title": "Contents"}]
    landmarks += [{"type": d.kind, "href": d.file_name, "title": d.title} for d in docs if d.kind]
    figures = [{"href": f"{homes[f.anchor]}#{f.anchor}", "number": f.number, "title": f.title} for f in guide.figures]
    return render_ebook_document("epub/nav.xhtml.j2", guide, options, "Contents", toc=toc, landmarks=landmarks,
                                 figures=figures, pages=pages)


def accessibility_summary(page_list: bool, other_languages: bool) -> str:
    pages = " A page list and page-break markers follow the pages of the PDF edition." if page_list else ""
    languages = " Words in other languages are marked with their language." if other_languages else ""
    return ("This publication has a table of contents, headings in order, landmarks and a logical "
            "reading order." + pages + languages + " Notes link back to "
            "the text, and every glossary and source entry links to where it is used. No content relies on "
            "colour or sound, and nothing flashes.")


def epub_bytes(guide: Guide, options: Options, page_map: PageMap | None = None,
               printing: PrintOptions = PrintOptions()) -> bytes:
    modified = options.date(guide)
    book = build_book(guide, options, page_map, printing)
    raw = io.BytesIO()
    epub.write_epub(raw, book, {"mtime": modified, "epub3_pages": False, "raise_exceptions": True,
                                 "compresslevel": 0})
    return repack(raw.getvalue(), guide.language, modified)


def repack(data: bytes, language: str, modified: dt.datetime) -> bytes:
    """Fixed entry times, mimetype first and stored, and xml:lang on <package>. ebooklib wrote
    the entries uncompressed; they are compressed here, once, but for the fonts: stored, as they
    hardly shrink (2.7 MB to 1.5 MB) and deflating them would cost the build about 0.1 s."""
    stamp = max(modified, dt.datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename.endswith(".opf"):
                content = content.replace(b"<package ", f'<package xml:lang="{language}" '.encode(), 1)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            stored = info.filename == "mimetype" or info.filename.removeprefix("EPUB/") in FONT_FILES
            entry.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def files(guide: Guide, job: Job) -> list[Path]:
    return [job.out / named("epub").file_name(guide.slug, job.options.edition)]


def write(guide: Guide, job: Job) -> dict[Path, list[str]]:
    """The e-book, its page list from the PDF of the same edition and print options, when that
    PDF was laid out from the print HTML the guide gives now."""
    target, = files(guide, job)
    pdf = job.out / named("pdf").file_name(guide.slug, job.options.edition)
    page_map = read_page_map(pdf, render_print(guide, job.options, job.printing))
    atomic_write(target, epub_bytes(guide, job.options, page_map, job.printing))
    if page_map is None:
        progress(f"wrote {target} without a page list: build {pdf} first to give it the PDF's pages")
    else:
        progress(f"wrote {target}, its page list from {pdf.name}")
    return {}

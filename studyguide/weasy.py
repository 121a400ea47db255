"""WeasyPrint, as every PDF writer uses it: HTML laid out as a tagged PDF/UA-1, inside the guide's
sandbox, with its warnings kept. Not a writer itself: the guide's PDF, the handouts and the
flashcards each lay out their own HTML with it."""
from __future__ import annotations

import gc
import logging
import sys
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from . import layout_fixes, pagerefs, pdf_tags
from .model import Guide
from .render import PROJECT

PDF_VARIANT = "pdf/ua-1"


class WarningCollector(logging.Handler):
    """Keeps WeasyPrint's logged warnings (ignored CSS, refused or missing resources)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# The guide's folder as WeasyPrint sees it (its base URL): the same wherever the guide lies, so
# that the PDF's bytes do not depend on the folder (WeasyPrint names each image by its URL's hash).
GUIDE_URL = "file:///studyguide-guide/"


def sandbox_fetcher(guide_root: Path, allowed: list[Path]):
    """A WeasyPrint URL fetcher that loads only files inside `allowed` (and data: URLs), with
    GUIDE_URL standing for `guide_root`."""
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    class SandboxFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"file", "data"})
            self.allowed = [p.resolve() for p in allowed]

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(GUIDE_URL):
                url = (guide_root.resolve() / unquote(url[len(GUIDE_URL):])).as_uri()
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise ValueError(f"refused (only files inside the guide are used): {url}")
            target = Path(unquote(parsed.path)).resolve()
            if not any(target.is_relative_to(root) for root in self.allowed):
                raise ValueError(f"refused (outside the guide): {url}")
            return super().fetch(url, headers)

    return SandboxFetcher()


@contextmanager
def fewer_collections():
    """Layout makes millions of short-lived objects: freeze what exists (the model, the
    modules) out of the collector's way and collect less often. Saves about 12 % of layout."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@lru_cache(maxsize=1)
def weasyprint_module():
    """WeasyPrint, imported once with ctypes looking libraries up in ldconfig's cache alone.
    WeasyPrint tries several names for each library it opens (weasyprint/text/ffi.py), and for
    each name that misses, ctypes would also compile a probe with gcc and run ld: 16 compiler
    runs a build, with their files in the system's temporary folder."""
    import ctypes.util

    find_library, in_cache = ctypes.util.find_library, getattr(ctypes.util, "_findSoname_ldconfig", None)
    if in_cache is not None and sys.platform.startswith("linux"):
        ctypes.util.find_library = in_cache
    try:
        import weasyprint
        from weasyprint.formatting_structure import build
    finally:
        ctypes.util.find_library = find_library
    pagerefs.install(build)
    return weasyprint


@lru_cache(maxsize=1)
def shared_fonts():
    """One font configuration for every layout of the process (the dozen handouts and answer
    keys): without it WeasyPrint loads Fontconfig and opens the fonts afresh for each."""
    weasyprint_module()
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


class Layout:
    """One WeasyPrint layout of an HTML document, with the warnings it logged."""

    def __init__(self, html: str, guide: Guide):
        weasyprint = weasyprint_module()  # imported here: it takes most of a second

        collector = WarningCollector()
        if not layout_fixes.apply():
            collector.messages.append(f"layout fixes not applied ({layout_fixes.why_not_applied()}): "
                                      "layout may be much slower on a long guide; see studyguide/layout_fixes.py")
        if not pdf_tags.apply():
            collector.messages.append("tagged-PDF additions not applied (this WeasyPrint has no "
                                      "weasyprint.pdf.tags._build_box_tree): no /Scope on header cells, "
                                      "no Note tags; see studyguide/pdf_tags.py")
        logger = logging.getLogger("weasyprint")
        logger.addHandler(collector)
        try:
            fetcher = sandbox_fetcher(guide.root, [guide.root, PROJECT / "styles", PROJECT / "templates"])
            with fewer_collections():
                self.document = weasyprint.HTML(string=html, base_url=GUIDE_URL,
                                                url_fetcher=fetcher).render(pdf_variant=PDF_VARIANT,
                                                                            font_config=shared_fonts())
        finally:
            logger.removeHandler(collector)
        self.warnings = collector.messages

    @property
    def pages(self) -> int:
        return len(self.document.pages)

    def pdf(self, *more: Layout) -> bytes:
        """The PDF, with the pages of `more` layouts after this one's (its metadata kept)."""
        document = self.document.copy(self.document.pages + [p for m in more for p in m.document.pages]) \
            if more else self.document
        with fewer_collections():
            return document.write_pdf(pdf_variant=PDF_VARIANT, finisher=open_with_bookmarks)


def open_with_bookmarks(document, pdf) -> None:
    """A PDF with bookmarks opens with its bookmarks panel shown (/PageMode /UseOutlines):
    WeasyPrint writes the outline but leaves the page mode to the viewer."""
    if "Outlines" in pdf.catalog:
        pdf.catalog["PageMode"] = "/UseOutlines"


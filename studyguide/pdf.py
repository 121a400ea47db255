"""PDF output: HTML laid out by WeasyPrint as a tagged PDF/UA-1 (the guide, editions and handouts)."""
from __future__ import annotations

import logging
from pathlib import Path

from .files import SandboxFetcher, atomic_write
from .model import Guide
from .render import PROJECT, Options, render_print

PDF_VARIANT = "pdf/ua-1"


class WarningCollector(logging.Handler):
    """Keeps WeasyPrint's logged warnings (ignored CSS, refused or missing resources)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class Layout:
    """One WeasyPrint layout of an HTML document, with the warnings it logged."""

    def __init__(self, html: str, guide: Guide):
        import weasyprint  # imported here: it takes most of a second

        collector = WarningCollector()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(collector)
        try:
            fetcher = SandboxFetcher([guide.root, PROJECT / "styles", PROJECT / "templates"])
            self.document = weasyprint.HTML(string=html, base_url=str(guide.root.resolve()) + "/",
                                            url_fetcher=fetcher).render(pdf_variant=PDF_VARIANT)
        finally:
            logger.removeHandler(collector)
        self.warnings = collector.messages

    @property
    def pages(self) -> int:
        return len(self.document.pages)

    def pdf(self) -> bytes:
        return self.document.write_pdf(pdf_variant=PDF_VARIANT)


def write_pdf(guide: Guide, options: Options, target: Path) -> list[str]:
    layout = Layout(render_print(guide, options), guide)
    atomic_write(target, layout.pdf())
    return layout.warnings

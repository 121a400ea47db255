"""The PDF study guide: the print HTML laid out by WeasyPrint as a tagged PDF/UA-1."""
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


def pdf_bytes(html: str, guide: Guide) -> tuple[bytes, list[str]]:
    """Lay out `html`; return the PDF and WeasyPrint's warnings."""
    import weasyprint  # imported here: it takes most of a second

    collector = WarningCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        fetcher = SandboxFetcher([guide.root, PROJECT / "styles", PROJECT / "templates"])
        document = weasyprint.HTML(string=html, base_url=str(guide.root.resolve()) + "/", url_fetcher=fetcher)
        data = document.write_pdf(pdf_variant=PDF_VARIANT)
    finally:
        logger.removeHandler(collector)
    return data, collector.messages


def write_pdf(guide: Guide, options: Options, target: Path) -> list[str]:
    data, warnings = pdf_bytes(render_print(guide, options), guide)
    atomic_write(target, data)
    return warnings

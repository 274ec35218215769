"""The printable report as PDF: HTML made by the web layer, laid out by WeasyPrint.

The page uses the DejaVu fonts that the project's setup installs
(`fonts-dejavu-core`), so Cyrillic prints the same on every machine.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def pdf_from_html(html: str) -> bytes:
    """Lay out one HTML document (with its own CSS inline) as a PDF."""
    # Imported here: WeasyPrint loads Pango when imported, which only the
    # report needs; every other page and job starts without it.
    from weasyprint import HTML

    document: bytes = HTML(string=html, base_url=None).write_pdf()
    logger.info("Report: PDF laid out bytes=%s", len(document))
    return document

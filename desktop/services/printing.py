"""Printing a document on paper: what to print, and the audit row saying it was printed.

A printed worksheet or log leaves the registry as surely as an exported file, so it is
treated as one: it needs ``Permission.EXPORT``, and each print is an audit row
(``worksheet.print``, ``screening_log.print``, ``delegation_log.print``: who, which
document, how many pages of how many, on which printer; the time is the row's) saved
before the first page is sent. The pages printed are the same PDF the export writes:

* a worksheet signed and current prints its stored digitally signed bytes, their
  signature boxes drawn from the signatures' own appearances;
* any other worksheet (a draft, a version superseded by a correction, or one whose data
  changed since signing) is built now and carries its state's watermark across every
  page, as its exported PDF does; ``Printable.watermark`` names it so the window can ask
  the user to confirm before printing it.

The services build the bytes (``WorksheetService.printable``, ``LogService.printable_*``);
the window renders and prints them. No Qt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Final

from desktop.registry.database import Registry
from desktop.services.acting import Actor, Permission, need
from desktop.services.documents import DocumentError

KINDS: Final = ("worksheet", "screening_log", "delegation_log")


@dataclass(frozen=True)
class Printable:
    """A document ready to print: its PDF and what the audit row says of it."""

    kind: str  # one of KINDS; the audit action is f"{kind}.print"
    title: str  # what the print dialog and preview call it
    document_id: str
    pdf: bytes = field(repr=False)
    pages: int
    entity: str  # the audit row's entity: "visit" for a worksheet, "document" for a log
    entity_id: int
    #: The watermark across its pages (DRAFT – NOT SIGNED, SUPERSEDED …, DATA CHANGED …);
    #: None for a signed, current worksheet and for a log.
    watermark: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return f"{self.kind}.print"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def printable_log(kind: str, title: str, document_id: str, pdf: bytes,
                  rows: int) -> Printable:
    """A register (screening or delegation log) ready to print."""
    from desktop.worksheets.rendering import page_count

    return Printable(kind, title, document_id, pdf, page_count(pdf), "document", 0,
                     details={"rows": rows})


def record_print(registry: Registry, actor: Actor, printable: Printable, pages: int,
                 printer: str) -> None:
    """The audit row of ``printable`` sent to ``printer``, ``pages`` pages of it: saved
    before the pages are sent, so no paper leaves without the trail saying who made it."""
    from desktop.registry.document_exports import record_document

    need(actor, Permission.EXPORT, registry)
    if printable.kind not in KINDS:
        raise DocumentError(f"{printable.kind} is not a document that prints.")
    if not 0 < pages <= printable.pages:
        raise DocumentError(f"{printable.title} has {printable.pages} pages; {pages} cannot "
                            "be printed.")
    record_document(registry, actor.user_id, printable.action, printable.entity,
                    printable.entity_id, {
                        "document_id": printable.document_id, "pages": pages,
                        "of_pages": printable.pages, "printer": printer,
                        "watermark": printable.watermark, "sha256": printable.sha256,
                        **printable.details})

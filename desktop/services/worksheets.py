"""The eligibility worksheet of a stage version: build it, export it (audited).

``WorksheetService.build(visit_id, version)`` reads everything in one transaction
(``ScreeningRepository.worksheet_source``), words it (``worksheet_content``) and lays it
out (``desktop.worksheets.worksheet_pdf``). ``export`` writes the PDF whole or not at all
and records a ``worksheet.export`` audit row (who, which visit and version, its state,
content hash, pages and the file's SHA-256). Exporting needs ``Permission.EXPORT``.
``worksheet_command`` is ``nkscreen worksheet``'s use case. No Qt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from desktop.domain.worksheet_lines import ContentError
from desktop.registry.database import Registry
from desktop.registry.screenings import (
    ScreeningRefused,
    ScreeningRepository,
    SiteUlnSource,
    TrialSource,
)
from desktop.services.acting import Actor, Permission, acting, need
from desktop.services.documents import Credentials, DocumentError, exporter, write_whole
from desktop.worksheets.worksheet_data import WorksheetData

if TYPE_CHECKING:
    from desktop.registry.signed_worksheets import StoredWorksheet
    from desktop.services.printing import Printable
from desktop.worksheets.worksheet_pdf import Built, build_worksheet

ACTION: Final = "worksheet.export"


class WorksheetError(DocumentError):
    """The worksheet cannot be built or written; the message says why."""


@dataclass(frozen=True)
class Exported:
    path: Path
    document_id: str
    version: int
    state: str
    pages: int
    content_sha256: str
    file_sha256: str
    #: The stored digitally signed bytes (else built now, signed by no one).
    signed_digitally: bool = False

    def summary(self) -> dict[str, Any]:
        return {"file": str(self.path), "document_id": self.document_id,
                "version": self.version, "state": self.state, "pages": self.pages,
                "content_sha256": self.content_sha256, "sha256": self.file_sha256,
                "signed_digitally": self.signed_digitally}


class WorksheetService:
    def __init__(self, registry: Registry, actor: Actor | str, *,
                 repository: ScreeningRepository) -> None:
        self._registry = registry
        self.actor = acting(actor)
        self._repository = repository

    @classmethod
    def open(cls, registry: Registry, actor: Actor | str, *,
             clock: Callable[[], datetime] = datetime.now, trials: TrialSource | None = None,
             site_uln: Mapping[str, Fraction] | SiteUlnSource | None = None,
             ) -> WorksheetService:
        user = acting(actor)
        repository = ScreeningRepository(registry, user.user_id, clock, trials=trials,
                                         site_uln=site_uln)
        return cls(registry, user, repository=repository)

    def data(self, visit_id: int, version: int | None = None) -> WorksheetData:
        """What the worksheet of the visit's ``version`` (default: current) says."""
        from desktop.services.worksheet_content import worksheet_data

        source = self._repository.worksheet_source(visit_id, version)
        standing = None
        if source.version == source.visit.version and source.stored is not None \
                and source.stored.signatures:
            standing = self._repository.standing(visit_id)
        try:
            return worksheet_data(source, standing)
        except (ContentError, ValueError) as exc:
            raise WorksheetError(f"The worksheet of visit {visit_id} cannot be built: "
                                 f"{exc}.") from None

    def stored(self, visit_id: int, version: int | None = None) -> StoredWorksheet | None:
        """The digitally signed worksheet of the visit's ``version`` (default: current),
        as its newest signature left it; None where none was signed digitally."""
        from desktop.registry.signed_worksheets import latest

        wanted = self._repository.visit(visit_id).version if version is None else version
        return latest(self._registry, visit_id, wanted)

    def verify(self, visit_id: int, version: int | None = None
               ) -> tuple[dict[str, Any], int] | None:
        """The visit's stored signed worksheet checked against this registry (None: it
        was not signed digitally): ``nkscreen verify``'s report."""
        from desktop.services.verification import verify_stored

        return verify_stored(self._registry, visit_id, version)

    def build(self, visit_id: int, version: int | None = None) -> tuple[WorksheetData, Built]:
        data = self.data(visit_id, version)
        return data, build_worksheet(data)

    def export(self, visit_id: int, path: Path, version: int | None = None) -> Exported:
        """Write the worksheet to ``path`` (replacing a file there), audited: the stored
        digitally signed bytes where the version was signed digitally, else built now."""
        need(self.actor, Permission.EXPORT, self._registry)
        data = self.data(visit_id, version)
        version_no = _version_of(data)
        stored = self.stored(visit_id, version_no)
        if stored is not None:
            pdf, pages = stored.data, _page_count(stored.data)
        else:
            built = build_worksheet(data)
            pdf, pages = built.pdf, built.pages
        path = Path(path)
        exported = Exported(path, data.document_id, version_no, data.state, pages,
                            data.content_hash, hashlib.sha256(pdf).hexdigest(),
                            signed_digitally=stored is not None)
        write_whole(path, pdf, lambda: self._audit(visit_id, exported, data))
        return exported

    def printable(self, visit_id: int, version: int | None = None) -> Printable:
        """The worksheet of the visit's ``version`` (default: current) ready to print: the
        stored digitally signed bytes where it is signed and current, else built now with
        its state's watermark (``desktop.services.printing``)."""
        from desktop.services.printing import Printable
        from desktop.worksheets.worksheet_data import banner_text

        need(self.actor, Permission.EXPORT, self._registry)
        data = self.data(visit_id, version)
        version_no = _version_of(data)
        stored = self.stored(visit_id, version_no) if data.state == "signed" else None
        if stored is not None:
            pdf, pages = stored.data, _page_count(stored.data)
        else:
            built = build_worksheet(data)
            pdf, pages = built.pdf, built.pages
        return Printable("worksheet", f"Worksheet {data.document_id}", data.document_id,
                         pdf, pages, "visit", visit_id, watermark=banner_text(data),
                         details={"version": version_no, "state": data.state,
                                  "signed_digitally": stored is not None})

    def record_print(self, printable: Printable, pages: int, printer: str) -> None:
        """Audit that ``pages`` pages of ``printable`` go to ``printer``."""
        from desktop.services.printing import record_print

        record_print(self._registry, self.actor, printable, pages, printer)

    def _audit(self, visit_id: int, exported: Exported, data: WorksheetData) -> None:
        from desktop.registry.document_exports import record_document

        record_document(self._registry, self.actor.user_id, ACTION, "visit", visit_id, {
            "document_id": exported.document_id, "version": exported.version,
            "state": exported.state, "pages": exported.pages,
            "content_sha256": exported.content_sha256, "sha256": exported.file_sha256,
            "chain_head": {"seq": data.chain_head.seq, "hash": data.chain_head.hash},
            "signed_digitally": exported.signed_digitally, "file": exported.path.name})


def _version_of(data: WorksheetData) -> int:
    """The stage version a worksheet is of, from its document id."""
    from desktop.services.worksheet_content import parse_document_id

    parsed = parse_document_id(data.document_id)
    assert parsed is not None, data.document_id  # built by worksheet_content
    return parsed[1]


def _page_count(pdf: bytes) -> int:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


def worksheet_command(data_dir: Path, visit_id: int, version: int | None, target: Path,
                      credentials: Credentials | None) -> dict[str, Any]:
    """``nkscreen worksheet``: log in, export, the summary printed."""
    with exporter(data_dir, credentials) as (registry, actor):
        service = WorksheetService.open(registry, actor)
        try:
            return service.export(visit_id, target, version).summary()
        except ScreeningRefused as exc:
            raise WorksheetError(str(exc)) from None


def warm_up() -> None:
    """Load what building a document needs (its modules, the fonts) ahead of the first
    export: the app runs this on a worker once a user has logged in."""
    from importlib import import_module

    from desktop.worksheets.fonts import register_fonts

    for name in ("desktop.services.logs", "desktop.services.worksheet_content",
                 "desktop.domain.worksheet_lines"):
        import_module(name)
    register_fonts()


def worksheets_command(data_dir: Path, credentials: Credentials | None) -> dict[str, Any]:
    """``nkscreen worksheets``: every digitally signed worksheet the registry keeps."""
    from desktop.registry.signed_worksheets import listing
    from desktop.services.worksheet_content import document_id

    with exporter(data_dir, credentials) as (registry, _actor):
        return {"worksheets": [
            {"document": document_id(row.visit_id, row.version), "visit_id": row.visit_id,
             "mrn": row.mrn, "trial": row.trial_id, "stage": row.stage_id,
             "repeat": row.repeat, "version": row.version,
             "signers": [{"user_id": user_id, "printed_name": name, "meaning": meaning,
                          "signed_at": at} for user_id, name, meaning, at in row.signers],
             "sha256": row.sha256} for row in listing(registry)]}

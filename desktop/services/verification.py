"""``nkscreen verify FILE.pdf [--data-dir DIR]``: is this worksheet what was signed?

No login, and nothing of a patient is read: the file's own signatures are checked
(``desktop.worksheets.pdf_verify``), and with a registry, each signer's certificate must
be one the registry issued or imported (a self-signed "Dr Smith" made elsewhere is
"unknown", not valid), the content hash the worksheet prints must be the stage
version's, and the audit chain head it prints must be a row of the registry's trail.
The registry's standing of that version (superseded, current) is reported beside.
No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.registry.database import Registry, RegistryError

OK, REFUSED, NOT_A_PDF = 0, 1, 2


class VerifyUsage(RegistryError):
    """The file cannot be read or is no PDF (exit 2); the message says why."""


@dataclass(frozen=True)
class RegistryCheck:
    content_matches: bool
    chain_head_found: bool
    standing: str  # "current version", "superseded by version N", "not in this registry"

    @property
    def ok(self) -> bool:
        return self.content_matches and self.chain_head_found

    def as_json(self) -> dict[str, Any]:
        return {"content_matches": self.content_matches,
                "chain_head_found": self.chain_head_found, "standing": self.standing}


def verify_file(path: Path, data_dir: Path | None) -> tuple[dict[str, Any], int]:
    """The report printed, and the exit status (0 valid, 1 not, 2 not a PDF)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerifyUsage(f"{path} cannot be read: {exc.strerror or exc}.") from None
    registry = None if data_dir is None else _open(data_dir)
    try:
        return verify_bytes(data, str(path), registry)
    finally:
        if registry is not None:
            registry.close()


def verify_open(path: Path, registry: Registry | None) -> tuple[dict[str, Any], int]:
    """``path`` checked against an open ``registry`` (the app's, None: the file alone)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerifyUsage(f"{path} cannot be read: {exc.strerror or exc}.") from None
    return verify_bytes(data, str(path), registry)


def verify_stored(registry: Registry, visit_id: int,
                  version: int | None = None) -> tuple[dict[str, Any], int] | None:
    """The report on the visit's stored signed worksheet (None: none was signed
    digitally), against ``registry``: the app's Verify worksheet… on a stage."""
    from desktop.registry.signed_worksheets import latest

    with registry.read() as conn:
        found = conn.execute("SELECT version FROM visit WHERE id = ?",
                             (visit_id,)).fetchone()
    if found is None:
        raise VerifyUsage(f"No visit with id {visit_id} is in the registry.")
    stored = latest(registry, visit_id, int(found[0]) if version is None else version)
    if stored is None:
        return None
    return verify_bytes(stored.data, f"WS-{visit_id}-V{stored.version}", registry)


def verify_bytes(data: bytes, name: str,
                 registry: Registry | None) -> tuple[dict[str, Any], int]:
    """``data`` checked (and against ``registry`` where given): the report and status."""
    from desktop.worksheets.pdf_verify import NotAPdf, verify_pdf

    known = None
    if registry is not None:
        from desktop.services.keys import KeyService

        known = KeyService(registry).known_certificates()
    try:
        report = verify_pdf(data, known)
    except NotAPdf as exc:
        raise VerifyUsage(f"{Path(name).name}: {exc}.") from None
    qr = _parsed(report.qr)
    check = None if registry is None or qr is None else _check(registry, qr)
    problems = list(report.problems)
    if registry is not None and qr is None:
        problems.append("the worksheet carries no document id to look up in the registry")
    ok = report.ok and not problems and (check is None or check.ok) \
        and (registry is None or check is not None)
    summary: dict[str, Any] = {
        "file": name, "ok": ok,
        "signatures": [s.as_json() for s in report.signatures],
        "ends_with_signature": report.ends_with_signature,
        "qr": qr, "registry": None if check is None else check.as_json(),
        "problems": problems,
    }
    return summary, OK if ok else REFUSED


def _open(data_dir: Path) -> Any:
    from desktop.registry.database import DB_FILENAME, open_registry

    if not (data_dir / DB_FILENAME).is_file():
        raise VerifyUsage(f"There is no registry in {data_dir}.")
    return open_registry(data_dir)


def _parsed(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    from desktop.worksheets.page_marks import parse_qr_payload

    try:
        return parse_qr_payload(text)
    except ValueError:
        return None


def _check(registry: Any, qr: dict[str, str]) -> RegistryCheck:
    from desktop.registry.document_exports import document_facts
    from desktop.services.worksheet_content import parse_document_id

    doc = qr["doc"]
    parsed = parse_document_id(doc)
    if parsed is None or not qr["chain_seq"].isdigit():
        return RegistryCheck(False, False, f"{doc} is not a worksheet id of this app")
    (visit_id, version), seq = parsed, int(qr["chain_seq"])
    content, chained, current = document_facts(registry, visit_id, version, seq)
    if current is None or content is None:
        standing = "not in this registry"
    elif version < current:
        standing = f"superseded by version {current}"
    else:
        standing = "current version"
    return RegistryCheck(content == qr["sha256"], chained == qr["chain_hash"], standing)

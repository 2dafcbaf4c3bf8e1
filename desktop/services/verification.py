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
    """The worksheet against the registry: its content hash, chain head, standing and
    whether the file is byte for byte a copy the registry keeps."""

    content_matches: bool
    chain_head_found: bool
    standing: str  # "current version", "superseded by version N", "not in this registry"
    #: The file against the copies the registry keeps: "the registry's copy", "an
    #: earlier copy: ...", or "not a copy the registry keeps".
    copy: str = ""
    copy_matches: bool = True

    @property
    def ok(self) -> bool:
        return self.content_matches and self.chain_head_found and self.copy_matches

    def problems(self) -> list[str]:
        found = []
        if not self.content_matches:
            found.append("the content hash the worksheet prints is not this stage "
                         "version's in the registry")
        if not self.chain_head_found:
            found.append("the audit chain head the worksheet prints is not in the "
                         "registry's trail")
        if not self.copy_matches:
            found.append(f"the file is {self.copy}")
        return found

    def as_json(self) -> dict[str, Any]:
        return {"content_matches": self.content_matches,
                "chain_head_found": self.chain_head_found, "standing": self.standing,
                "copy": self.copy, "copy_matches": self.copy_matches}


def verify_file(path: Path, data_dir: Path | None,
                ca_file: Path | None = None) -> tuple[dict[str, Any], int]:
    """The report printed, and the exit status (0 valid, 1 not, 2 not a PDF). With
    ``ca_file`` (the site CA PEM a sponsor was given), every signer's certificate must
    have been issued by a CA certificate in it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerifyUsage(f"{path} cannot be read: {exc.strerror or exc}.") from None
    cas = None if ca_file is None else _cas(ca_file)
    registry = None if data_dir is None else _open(data_dir)
    try:
        return verify_bytes(data, str(path), registry, cas)
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


def _cas(path: Path) -> list[Any]:
    from cryptography import x509

    try:
        found = x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as exc:
        raise VerifyUsage(f"--ca: {path} cannot be read: {exc.strerror or exc}.") from None
    except ValueError:
        raise VerifyUsage(f"--ca: {path.name} holds no PEM certificate (export it from "
                          "Administration → Certificates).") from None
    return found


def _issued_by_given(data: bytes, report: Any, cas: list[Any]) -> list[bool]:
    """Per signature: its signer certificate was issued by one of ``cas``."""
    from desktop.worksheets.pdf_integrity import signer_certificates
    from desktop.worksheets.pki import fingerprint, issued_by

    certs = signer_certificates(data)
    issued = []
    for number, signature in enumerate(report.signatures):
        cert = certs[number] if number < len(certs) else None
        issued.append(cert is not None
                      and fingerprint(cert).replace(":", "").lower() ==
                      signature.fingerprint.replace(":", "").lower()
                      and any(issued_by(cert, ca) for ca in cas))
    return issued


def _signers_checked(registry: Registry | None, cas: list[Any] | None) -> str:
    if registry is not None:
        return "against the registry's certificates"
    if cas is not None:
        return "against the CA certificate file given (--ca)"
    return ("not checked: any certificate's signature is accepted; give --data-dir DIR or "
            "--ca site-ca.pem to check who signed")


def verify_bytes(data: bytes, name: str, registry: Registry | None,
                 cas: list[Any] | None = None) -> tuple[dict[str, Any], int]:
    """``data`` checked (and against ``registry``, or the CA certificates ``cas``, where
    given): the report and status."""
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
    check = None if registry is None or qr is None else _check(registry, qr, data)
    problems = list(report.problems) + _signature_problems(report, data)
    if registry is not None and qr is None:
        problems.append("the worksheet carries no document id to look up in the registry")
    if check is not None:
        problems += check.problems()
    issued = None if cas is None else _issued_by_given(data, report, cas)
    for number, (signature, ok) in enumerate(zip(report.signatures, issued or (), strict=False),
                                             start=1):
        if not ok:
            problems.append(f"signature {number} ({signature.signer or 'no signer'}): its "
                            "certificate was not issued by the CA given (--ca)")
    ok = report.ok and not problems and (check is None or check.ok) \
        and (registry is None or check is not None)
    summary: dict[str, Any] = {
        "file": name, "ok": ok,
        "signatures": [s.as_json() | ({} if issued is None else
                                      {"issued_by_given_ca": issued[n]})
                       for n, s in enumerate(report.signatures)],
        "signers_checked": _signers_checked(registry, cas),
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


def _signature_problems(report: Any, data: bytes) -> list[str]:
    """Each signature's trouble in words: what was changed, what does not check."""
    from desktop.worksheets.pdf_integrity import contents_problems

    problems: list[str] = []
    holes = contents_problems(data)
    for number, signature in enumerate(report.signatures, start=1):
        who = f"signature {number} ({signature.signer or 'no signer'})"
        if not signature.intact:
            problems.append(f"{who}: the bytes it covers were changed")
        elif not signature.valid:
            problems.append(f"{who}: its signature value does not check with its "
                            "certificate")
        if signature.known is False:
            problems.append(f"{who}: its certificate is not one this registry issued or "
                            "imported")
        if signature.after not in ("nothing", "signatures only"):
            problems.append(f"{who}: after it, {signature.after}")
        if number <= len(holes):
            problems += [f"{who}: {text}" for text in holes[number - 1]]
    return problems


def _check(registry: Any, qr: dict[str, str], data: bytes) -> RegistryCheck:
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
    copy, copy_matches = _copy(registry, visit_id, version, data)
    return RegistryCheck(content == qr["sha256"], chained == qr["chain_hash"], standing,
                         copy, copy_matches)


def _copy(registry: Any, visit_id: int, version: int, data: bytes) -> tuple[str, bool]:
    """The file against the copies of the worksheet the registry keeps, byte for byte."""
    import hashlib

    from desktop.registry.signed_worksheets import copies

    kept = copies(registry, visit_id, version)
    digest = hashlib.sha256(data).hexdigest()
    if not kept:
        return "the registry keeps no digitally signed copy of this worksheet", False
    if digest == kept[-1]:
        return "the registry's copy, byte for byte", True
    if digest in kept:
        later = len(kept) - 1 - kept.index(digest)
        return (f"an earlier copy: the registry holds a later one with {later} more "
                f"signature{'s' if later > 1 else ''}"), True
    return (f"not a copy the registry keeps: its SHA-256 {digest} is none of the "
            f"{len(kept)} kept for this worksheet"), False

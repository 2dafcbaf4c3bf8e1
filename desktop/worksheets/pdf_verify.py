"""Checking a signed worksheet: each signature, and whether anything follows the last.

``verify_pdf(data, known)`` reads every signature with pyHanko (offline: nothing is
fetched) and reports, per signature, the signer, the certificate's issuer, the time the
signer's software gave, the meaning (the signature's reason), whether the bytes it covers
are intact and the signature valid, and what was added after it (only the later
signatures' own fields is allowed). With ``known`` (the certificates a registry issued
or imported), a signer whose certificate is not among them is "unknown", whatever its
name says. pyHanko's log lines are kept from the terminal. No Qt, no database.

Where the time goes (a two-signature worksheet, 76 KB, ms, 2026-12-04): reading the
file and the signature dictionaries ~4 (pyHanko tokenises each ``/Contents`` hex string a
byte at a time, hence the signer keeping only the room its container needs and carrying
no site CA certificate); the CMS checks ~2.3 per signature (no path is validated:
``_context``); pyHanko's difference analysis ~8, most of it parsing every object of the
file (hence font subsets of only the characters used, and signature appearances drawn
as glyph outlines, with no fonts of their own: ``fonts``, ``outlines``). That analysis
is what proves a later revision changed nothing but its own field; any equally strict
check must also read every earlier object (an earlier object may refer to an object
number a later revision defines), so it stays pyHanko's. The cyclic collector is
paused for the verify.
"""

from __future__ import annotations

import gc
import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from desktop.worksheets.pki import name_common

#: The form the page's QR code text takes in the document's keywords (``page_marks``).
QR_PREFIX = "NKS1/"


class NotAPdf(ValueError):
    """The file is not a PDF at all."""


@dataclass(frozen=True)
class SignatureReport:
    field: str
    signer: str  # the certificate's common name
    issuer: str
    signed_at: datetime | None
    meaning: str
    intact: bool  # the bytes it covers are as signed
    valid: bool  # the signature over them checks with its certificate
    known: bool | None  # the certificate is one the registry holds (None: not asked)
    #: What came after it: "nothing", "signatures only", or what else was changed.
    after: str
    fingerprint: str  # the signer certificate's SHA-256

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.known is not False \
            and self.after in ("nothing", "signatures only")

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "signer": self.signer, "issuer": self.issuer,
                "signed_at": None if self.signed_at is None else self.signed_at.isoformat(),
                "meaning": self.meaning, "intact": self.intact, "valid": self.valid,
                "known": self.known, "after": self.after, "ok": self.ok,
                "certificate_sha256": self.fingerprint}


@dataclass(frozen=True)
class PdfReport:
    signatures: tuple[SignatureReport, ...]
    #: Nothing was appended after the last signature.
    ends_with_signature: bool
    qr: str | None  # the QR code's text, as the document carries it
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures) \
            and self.ends_with_signature and not self.problems


def _after(status: Any, last: bool) -> str:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    coverage = status.coverage
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "nothing"
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return "the signed range does not cover its revision"
    level = status.modification_level
    if level is not None and level.name in ("NONE", "LTA_UPDATES", "FORM_FILLING") \
            and status.docmdp_ok is not False:
        return "nothing" if last else "signatures only"
    return f"changes beyond signing ({getattr(level, 'name', 'unknown').lower()})"


def verify_pdf(data: bytes, known: Sequence[x509.Certificate] | None = None) -> PdfReport:
    """Every signature of ``data``; raises ``NotAPdf`` for a file that is no PDF."""
    if not data.lstrip()[:5] == b"%PDF-":
        raise NotAPdf("the file is not a PDF (it does not begin with %PDF-)")
    with _collector_paused():
        return _verify(data, known)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """pyHanko builds tens of thousands of small objects while it reads a file; the
    cyclic collector would walk the whole heap several times meanwhile (about 8 % of a
    verify in a small process, more in the app). Paused for the one verify, restored
    after it whatever happens; what the verify left behind is collected as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _verify(data: bytes, known: Sequence[x509.Certificate] | None) -> PdfReport:
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        return PdfReport((), False, None, (f"the PDF cannot be read: it was altered or "
                                           f"damaged ({exc})",))
    known_der = None if known is None else {
        c.public_bytes(serialization.Encoding.DER) for c in known}
    context = _context()
    reports = [_one(sig, index == len(embedded) - 1, known_der, context)
               for index, sig in enumerate(embedded)]
    ends = bool(reports) and reports[-1].after == "nothing" \
        and not _appended(data, embedded[-1])
    problems = () if embedded else ("the PDF holds no signature",)
    return PdfReport(tuple(reports), ends, _qr_text(reader), problems)


def _context() -> Any:
    """Offline validation with no trust roots (never the system's list). pyHanko's trust
    verdict is not used: who signed is decided here (``known``: the certificates a
    registry issued or imported) and by the verification service (``--ca``: issued by the
    CA given). With a root to validate a path to, pyHanko spent ~2 ms on a verdict
    nobody reads."""
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=[], allow_fetching=False)


def _one(sig: Any, last: bool, known_der: set[bytes] | None,
         context: Any) -> SignatureReport:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import validate_pdf_signature

    cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
    der = cert.public_bytes(serialization.Encoding.DER)
    reason = sig.sig_object.get("/Reason")
    try:
        status = validate_pdf_signature(sig, context)
        intact, valid = bool(status.intact), bool(status.valid)
        when = status.signer_reported_dt
        after = _after(status, last)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, OSError) as exc:
        # A damaged file or signature container: reported, never raised.
        intact = valid = False
        when = None
        after = f"cannot be checked ({type(exc).__name__})"
    from hashlib import sha256

    return SignatureReport(
        field=str(sig.field_name), signer=name_common(cert.subject),
        issuer=name_common(cert.issuer), signed_at=when,
        meaning="" if reason is None else str(reason), intact=intact, valid=valid,
        known=None if known_der is None else der in known_der, after=after,
        fingerprint=sha256(der).hexdigest())


def _appended(data: bytes, last: Any) -> bool:
    """Whether bytes other than line ends follow what the last signature covers."""
    try:
        byte_range = [int(n) for n in last.sig_object["/ByteRange"]]
    except (KeyError, TypeError, ValueError):
        return True
    return bool(data[byte_range[2] + byte_range[3]:].strip(b"\r\n"))


def _qr_text(reader: Any) -> str | None:
    """The QR code's text, which the worksheet also carries as its keywords."""
    try:
        info = reader.trailer_view.get("/Info")
        keywords = None if info is None else info.get_object().get("/Keywords")
    except Exception:  # an info dictionary we cannot read: no QR text to report
        return None
    text = None if keywords is None else str(keywords)
    return text if text and text.startswith(QR_PREFIX) else None

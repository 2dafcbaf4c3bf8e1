"""PAdES signatures on a worksheet, with pyHanko: one field per expected signer, each
signature an incremental update that changes nothing but its own field.

``with_signature_fields`` lays every signer's field over its box before the first
signature (so no later signer adds anything an earlier one covered); ``sign_field``
signs one field (PAdES baseline B-B, SHA-256, offline). What the signer adds (printed
name, role, meaning, date-time) is drawn in that signature's appearance, never in the
page: the appearance is a page ReportLab draws, exactly the box's size and opaque, so it
covers the box's blank lines, its words the outlines of the shipped font's glyphs
(``outlines``: no font objects in each later revision for a verifier to parse). The
signature's reason is its meaning.

``LoadedSigner`` turns an unlocked key and its certificates into pyHanko's signer once,
so a session signs without parsing them again. No Qt, no database.
"""

from __future__ import annotations

import asyncio
import binascii
import io
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.content import ImportedPdfPage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import (
    AxisAlignment,
    BoxConstraints,
    InnerScaling,
    Margins,
    SimpleBoxLayoutRule,
)
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import (
    SigFieldSpec,
    SigSeedSubFilter,
    append_signature_field,
    enumerate_sig_fields,
)
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko.stamp import StaticStampStyle
from reportlab.pdfgen.canvas import Canvas

from desktop.worksheets.cms_signer import KeySigner
from desktop.worksheets.fonts import REGULAR, register_fonts
from desktop.worksheets.outlines import OutlinedCanvas
from desktop.worksheets.signer_boxes import BoxPlace, draw_signer_box
from desktop.worksheets.worksheet_data import format_when

#: Room kept for a signature's CMS container when its size is not known beforehand (a
#: P-256 or RSA-3072 signature with its certificate and the site CA's fits with plenty
#: to spare), so pyHanko need not sign twice to measure it. ``KeySigner`` knows its
#: container's size, and the room kept is that (a smaller ``/Contents`` to read back).
SIGNATURE_BYTES = 16_384


class SigningError(ValueError):
    """The worksheet cannot be signed as asked (no such field, signed already)."""


@dataclass(frozen=True)
class Stamp:
    """What one signature's box shows once signed."""

    role_label: str  # "Investigator"
    printed_name: str
    role: str
    meaning: str
    signed_at: datetime  # aware
    issuer: str  # the certificate issuer's common name


def with_signature_fields(pdf: bytes, boxes: tuple[BoxPlace, ...]) -> bytes:
    """``pdf`` with an empty signature field over each box (an incremental update)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for box in boxes:
        append_signature_field(writer, SigFieldSpec(
            box.name, on_page=box.page_index, box=field_rect(box)))
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


def field_rect(box: BoxPlace) -> tuple[int, int, int, int]:
    """The field's rectangle in whole points (pyHanko's), never smaller than the box."""
    return (math.floor(box.x), math.floor(box.y), math.ceil(box.x + box.width),
            math.ceil(box.y + box.height))


def stamp_pdf(width: float, height: float, stamp: Stamp) -> bytes:
    """The signed box's appearance: one page of exactly the box's size."""
    return stamp_page(width, height, stamp, OutlinedCanvas)


def stamp_page(width: float, height: float, stamp: Stamp,
               drawing: Callable[[Any], Any]) -> bytes:
    """The appearance's page, its box drawn on ``drawing(canvas)`` (the outlines; the
    canvas itself sets the words in the font, as the tests compare)."""
    register_fonts()
    out = io.BytesIO()
    canv = Canvas(out, pagesize=(width, height), initialFontName=REGULAR, invariant=1)
    canv.setFillGray(1)
    canv.rect(0, 0, width, height, stroke=0, fill=1)
    canv.setFillGray(0)
    draw_signer_box(drawing(canv), width, height, stamp.role_label,
                    f"Signed digitally · certificate from {stamp.issuer}",
                    (stamp.printed_name, stamp.role, stamp.meaning,
                     format_when(stamp.signed_at)), note_size=7.5)
    canv.showPage()
    canv.save()
    return out.getvalue()


class LoadedSigner:
    """pyHanko's signer for one unlocked key, its certificate and the issuers': the key
    stays cryptography's object and the container's fixed parts are encoded here, once
    (``KeySigner``)."""

    def __init__(self, key: Any, certificate: x509.Certificate,
                 chain: tuple[x509.Certificate, ...]) -> None:
        def der(cert: x509.Certificate) -> Any:
            return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

        self.certificate = certificate
        # The site CA, a self-signed root that issued the signer directly, proves
        # nothing inside the signature (whoever checks must hold it already: the site
        # CA PEM, ``verify --ca`` or ``--data-dir``; the signer's own certificate is
        # bound by the signed attributes' hash of it) and costs every verifier a
        # certificate to parse and match: left out. A chain with intermediates (an
        # institution's PKCS#12) is carried whole, so each can be checked in the file.
        carried = [c for c in chain if not _site_root(c, certificate)]
        self.signer = KeySigner(key, der(certificate), [der(c) for c in carried])
        asyncio.run(self.signer.prepare())
        #: Room for each signature's container: what this key's takes, at most.
        self.reserved = self.signer.reserve() or SIGNATURE_BYTES


def _site_root(cert: x509.Certificate, signer: x509.Certificate) -> bool:
    """Whether ``cert`` is a self-signed root (its own key signed it: not a link
    certificate of a key rollover, which has the same name) that signed ``signer``."""
    try:
        cert.verify_directly_issued_by(cert)
        signer.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def sign_field(pdf: bytes, field: BoxPlace, signer: LoadedSigner, stamp: Stamp) -> bytes:
    """``pdf`` with ``field`` signed by ``signer``: an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _check_field(writer, field.name)
    x1, y1, x2, y2 = field_rect(field)
    style = StaticStampStyle(
        background=_PdfBytesPage(stamp_pdf(x2 - x1, y2 - y1, stamp)),
        background_opacity=1.0, border_width=0,
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN, y_align=AxisAlignment.ALIGN_MIN,
            margins=Margins(), inner_content_scaling=InnerScaling.STRETCH_FILL))
    meta = PdfSignatureMetadata(field_name=field.name, reason=stamp.meaning,
                                name=stamp.printed_name, md_algorithm="sha256",
                                subfilter=SigSeedSubFilter.PADES)
    out = _SignerAt(meta, signer=signer.signer, stamp_style=style,
                    signed_at=stamp.signed_at).sign_pdf(writer, bytes_reserved=signer.reserved)
    data: bytes = out.getvalue()
    return data


class _SignerAt(PdfSigner):
    """pyHanko's signer with the signature dictionary's time (/M) set to the time the
    registry records and the box shows, not pyHanko's own clock read moments later."""

    def __init__(self, *args: Any, signed_at: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signed_at = signed_at

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False
                             ) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signed_at
        return session


def _check_field(writer: Any, name: str) -> None:
    for found, value, _ref in enumerate_sig_fields(writer):
        if found == name:
            if value is not None:
                raise SigningError(f"The signature field {name} is signed already.")
            return
    raise SigningError(f"The worksheet has no signature field {name}.")


class _PdfBytesPage(ImportedPdfPage):
    """``ImportedPdfPage`` from bytes in memory rather than a file."""

    def __init__(self, data: bytes) -> None:
        super().__init__("", page_ix=0)  # type: ignore[no-untyped-call]
        self._data = data

    def render(self) -> bytes:
        xobj = self._ensure_writer.import_page_as_xobject(
            PdfFileReader(io.BytesIO(self._data)), page_ix=0)
        name = b"/Import" + binascii.hexlify(uuid.uuid4().bytes)
        self.resources.xobject[name.decode("ascii")] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name + b" Do"

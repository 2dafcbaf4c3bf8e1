"""Signing a stage's worksheet digitally as its signature is given (issue 16).

When a person signs a stage (``SigningService.sign``, their password typed), the
worksheet of that stage version is signed with their own key: the first signature lays
the sealed worksheet out with every expected signer's field, and each signature is an
incremental update filling its own field (``desktop.worksheets.pdf_signing``). The
bytes go into the registry with the signature, in the same transaction.

A site without a signing authority yet (a registry from before digital signatures,
until an administrator creates it) signs electronically only: ``document`` answers None.
Once the site has one, a signer without a usable certificate cannot sign
(``NoSigningKey``, with the reason). An unlocked key's pyHanko signer is kept for the
session, keyed by its certificate, so a second signature does not convert it again.
No Qt.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from desktop.domain.signing import Action, Meaning
from desktop.registry.signed_worksheets import NewWorksheet
from desktop.services.worksheet_content import ROLE_LABELS
from desktop.services.worksheets import WorksheetError

if TYPE_CHECKING:
    from desktop.services.keys import KeyService
    from desktop.services.worksheets import WorksheetService
    from desktop.worksheets.pdf_signing import LoadedSigner
    from desktop.worksheets.pki import SigningIdentity
    from desktop.worksheets.signer_boxes import BoxPlace


def box_json(box: BoxPlace) -> dict[str, Any]:
    return {"name": box.name, "role": box.role, "page": box.page_index, "x": box.x,
            "y": box.y, "width": box.width, "height": box.height}


def box_of(fields: tuple[dict[str, Any], ...] | list[dict[str, Any]], role: str) -> BoxPlace:
    from desktop.worksheets.signer_boxes import BoxPlace

    for field in fields:
        if field["role"] == role:
            return BoxPlace(str(field["role"]), int(field["page"]), float(field["x"]),
                            float(field["y"]), float(field["width"]),
                            float(field["height"]), str(field["name"]))
    raise LookupError(role)


class WorksheetSigner:
    def __init__(self, keys: KeyService, worksheets: WorksheetService) -> None:
        self._keys = keys
        self._worksheets = worksheets
        self._signers: dict[bytes, LoadedSigner] = {}

    def document(self, visit_id: int, action: Action, user_id: str, password: str, *,
                 printed_name: str, role: str, meaning: Meaning,
                 signed_at: datetime) -> NewWorksheet | None:
        """The worksheet signed by ``user_id`` (None: the site signs electronically
        only, having no signing authority yet). Raises ``NoSigningKey``."""
        if self._keys.ca_certificate() is None:
            return None
        identity = self._keys.signing_identity(user_id, password)
        from desktop.worksheets.pdf_signing import Stamp, sign_field, with_signature_fields

        stored = self._worksheets.stored(visit_id)
        if stored is None:
            from desktop.worksheets.worksheet_pdf import build_worksheet

            data = replace(self._worksheets.data(visit_id), state="sealed",
                           superseded_by=None)
            built = build_worksheet(data)
            base = with_signature_fields(built.pdf, built.signer_boxes)
            fields = tuple(box_json(box) for box in built.signer_boxes)
        else:
            base, fields = stored.data, stored.fields
        try:
            box = box_of(fields, ROLE_LABELS[action])
        except LookupError:
            raise WorksheetError(f"The worksheet has no box for the {ROLE_LABELS[action]}; "
                                 "it was not signed.") from None
        from desktop.worksheets.pki import name_common

        issuer = name_common(identity.certificate.issuer)
        from desktop.worksheets.pdf_signing import SigningError

        try:
            signed = sign_field(base, box, self._loaded(identity), Stamp(
                ROLE_LABELS[action], printed_name, role, meaning.value, signed_at, issuer))
        except SigningError as exc:
            raise WorksheetError(f"{exc} Nothing was signed.") from None
        return NewWorksheet(signed, hashlib.sha256(signed).hexdigest(), tuple(fields))

    def _loaded(self, identity: SigningIdentity) -> LoadedSigner:
        from cryptography.hazmat.primitives import serialization

        from desktop.worksheets.pdf_signing import LoadedSigner

        key = identity.certificate.public_bytes(serialization.Encoding.DER)
        if key not in self._signers:
            self._signers[key] = LoadedSigner(identity.key, identity.certificate,
                                              identity.chain)
        return self._signers[key]

"""What the Certificates tab lists: each account's signing standing, the pending ones.

Reads only, for ``desktop.services.keys.KeyService.states`` and ``pending`` (which check
the admin's permission first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desktop.registry.accounts import AccountRepository
from desktop.registry.signing_keys import CertificateRow, KeyRow, SigningKeyRepository


@dataclass(frozen=True)
class PendingCertificate:
    user_id: str
    full_name: str
    key_id: str
    since: datetime


@dataclass(frozen=True)
class CertificateState:
    """A user's signing standing, for the Certificates tab."""

    user_id: str
    full_name: str
    #: "issued", "imported", "pending", "retired" (a reset; no new key yet) or "none".
    state: str
    subject: str = ""
    issuer: str = ""
    serial: str = ""
    not_after: datetime | None = None
    holds_ca: bool = False


def pending(keys: SigningKeyRepository,
            accounts: AccountRepository) -> list[PendingCertificate]:
    names = accounts.names()
    issued = {row.key_id for row in keys.certificates()}
    return [PendingCertificate(k.user_id, names.get(k.user_id, k.user_id), k.key_id,
                               k.created_at)
            for k in keys.user_keys() if k.retired_at is None and k.key_id not in issued]


def states(keys: SigningKeyRepository, accounts: AccountRepository) -> list[CertificateState]:
    certs: dict[str, CertificateRow] = {c.key_id: c for c in keys.certificates()}
    own_keys: dict[str, list[KeyRow]] = {}
    for key in keys.user_keys():
        own_keys.setdefault(key.user_id, []).append(key)
    ca = keys.current_ca()
    found = []
    for account in accounts.all():
        held = ca is not None and keys.grant_for(ca.key_id, account.user_id) is not None
        own = own_keys.get(account.user_id, [])
        active = [k for k in own if k.retired_at is None]
        if not active:
            found.append(CertificateState(account.user_id, account.full_name,
                                          "retired" if own else "none", holds_ca=held))
            continue
        cert = certs.get(active[-1].key_id)
        if cert is None:
            found.append(CertificateState(account.user_id, account.full_name, "pending",
                                          holds_ca=held))
            continue
        found.append(CertificateState(account.user_id, account.full_name, cert.source,
                                      cert.subject, cert.issuer, cert.serial,
                                      cert.not_after, held))
    return found

"""Signing keys: the site CA, each user's key under their own password, certificates (#16).

``KeyService`` is what the PDF signing (``signing_identity``), the admin's Certificates tab
(``states``, ``pending``, ``issue``, ``ca_pem``, ``grant_ca``, ``new_ca``) and a user's
PKCS#12 import call. The accounts service calls its hooks (``first_admin``,
``own_password``, ``recovered``, ``reset``, ``logged_in``), which return the key writes
to commit inside the account's own write, so a password and the key sealed under it never
disagree. The crypto is :mod:`desktop.worksheets.pki`; the rows
:mod:`desktop.registry.signing_keys`; the rules these:

- A key pair is made when a user sets their OWN password (never under a one-time one);
  a password change re-seals the same key (same certificate); a reset retires it (the
  one-time password cannot open it, nor should it), a recovery too (the old password is
  lost), and the next own password makes a new key whose certificate is pending.
- The CA key is sealed under a random data key, wrapped for each admin under their
  password. Only an admin holding a wrap, with their password, issues a certificate or
  grants the CA to another admin (that admin's password typed). A reset or recovery
  drops the admin's wrap; with no admin left holding one, ``new_ca`` makes a new CA (the
  old certificate is kept: old signatures still verify).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509

from desktop.domain.accounts import Actor, Permission, Role
from desktop.registry.accounts import AccountRepository, AccountRow
from desktop.registry.database import Registry, RegistryError
from desktop.registry.signing_keys import CertificateRow, KeyWrites, SigningKeyRepository
from desktop.services import key_states
from desktop.services.acting import need
from desktop.services.key_states import CertificateState, PendingCertificate
from desktop.worksheets import pki
from desktop.worksheets.pki import Kdf, SigningIdentity

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = ["CertificateState", "Kdf", "KeyProblem", "KeyService", "NoSigningKey",
           "PendingCertificate", "SigningIdentity", "kdf_like"]

PENDING_HELP = "an administrator issues it from Administration → Certificates"


class KeyProblem(RegistryError):
    """A key request that cannot be done; the message says why."""


class NoSigningKey(RegistryError):
    """The user cannot sign yet (or any more); the message says why."""


def kdf_like(hasher: PasswordHasher) -> Kdf:
    """The KDF at the login hasher's cost (tests' fast hasher: a fast KDF)."""
    return Kdf(hasher.time_cost, hasher.memory_cost, hasher.parallelism)


def _key_ad(user_id: str, key_id: str) -> bytes:
    return f"nkscreen user key\0{user_id}\0{key_id}".encode()


def _grant_ad(ca_key_id: str, user_id: str) -> bytes:
    return f"nkscreen ca grant\0{ca_key_id}\0{user_id}".encode()


def _ca_ad(ca_key_id: str) -> bytes:
    return f"nkscreen site ca\0{ca_key_id}".encode()


@dataclass(frozen=True)
class _Ca:
    """The CA unlocked: its data key, key and certificate."""

    key_id: str
    data_key: bytes
    key: pki.PrivateKey
    cert: x509.Certificate


class KeyService:
    def __init__(self, registry: Registry, *, kdf: Kdf | None = None,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self._registry = registry
        self._keys = SigningKeyRepository(registry)
        self._accounts = AccountRepository(registry)
        self._kdf = kdf or Kdf()
        self._clock = clock

    # -- signing ---------------------------------------------------------------------

    def signing_problem(self, user_id: str) -> str | None:
        """Why ``user_id`` could not sign digitally now (None: they can, given their
        password; also None for a site without a signing authority, which signs
        electronically only). No password needed: for the signing dialog to say why."""
        if self._keys.current_ca() is None:
            return None
        key = self._keys.active_key(user_id)
        if key is None:
            return (f"{user_id} has no signing key: one is made when they set their own "
                    "password.")
        if not self._keys.certificates(key.key_id):
            return f"The certificate of {user_id} is pending: {PENDING_HELP}."
        return None

    def signing_identity(self, user_id: str, password: str) -> SigningIdentity:
        """The user's key, unlocked with their password, with its certificate and chain."""
        key = self._keys.active_key(user_id)
        if key is None:
            if self._keys.user_keys(user_id):
                raise NoSigningKey(f"The signing key of {user_id} was retired after a "
                                   "password reset; a new one is made when they set their "
                                   "own password, and its certificate is then issued by an "
                                   "administrator.")
            raise NoSigningKey(f"{user_id} has no signing key yet: one is made when they set "
                               "their own password.")
        certs = self._keys.certificates(key.key_id)
        if not certs:
            raise NoSigningKey(f"The certificate of {user_id} is pending: {PENDING_HELP}.")
        try:
            secret = pki.unseal(key.sealed, password, _key_ad(user_id, key.key_id))
        except pki.WrongPassword:
            raise NoSigningKey(f"The password does not unlock the signing key of "
                               f"{user_id}.") from None
        cert = certs[-1]
        chain = tuple(x509.load_pem_x509_certificates(cert.chain_pem.encode())) \
            if cert.chain_pem.strip() else ()
        return SigningIdentity(user_id, pki.load_key(secret),
                               pki.load_cert(cert.certificate_pem), chain)

    def known_certificates(self) -> list[x509.Certificate]:
        """Every certificate the registry ever issued or imported, old ones included."""
        return [pki.load_cert(row.certificate_pem) for row in self._keys.certificates()]

    def ca_certificates(self) -> list[x509.Certificate]:
        """Every CA certificate the site ever had, the current one last."""
        return [pki.load_cert(row.certificate_pem) for row in self._keys.cas()]

    def ca_certificate(self) -> x509.Certificate | None:
        ca = self._keys.current_ca()
        return None if ca is None else pki.load_cert(ca.certificate_pem)

    def ca_fingerprint(self) -> str | None:
        """The current site CA's SHA-256 fingerprint (openssl's form), to publish."""
        ca = self.ca_certificate()
        return None if ca is None else pki.fingerprint(ca)

    def ca_pem(self) -> bytes:
        """The site CA certificate as PEM, for the binder and sponsors; a CA replaced
        since follows it (old signatures verify against it)."""
        cas = self._keys.cas()
        if not cas:
            raise KeyProblem("The site has no signing authority (CA) yet.")
        ordered = [ca for ca in cas if ca.retired_at is None] + \
            [ca for ca in reversed(cas) if ca.retired_at is not None]
        return "".join(ca.certificate_pem for ca in ordered).encode("ascii")

    # -- administration ----------------------------------------------------------------

    def pending(self, admin: Actor) -> list[PendingCertificate]:
        """Users whose current key awaits its certificate."""
        need(admin, Permission.ADMINISTER)
        return key_states.pending(self._keys, self._accounts)

    def states(self, admin: Actor) -> list[CertificateState]:
        """Every account's signing standing (issued, imported, pending, retired, none)."""
        need(admin, Permission.ADMINISTER)
        return key_states.states(self._keys, self._accounts)

    def own_state(self, actor: Actor) -> CertificateState:
        """The actor's own signing standing (no administrator permission needed)."""
        return next(s for s in key_states.states(self._keys, self._accounts)
                    if s.user_id == actor.user_id)

    def issue(self, admin: Actor, admin_password: str, user_id: str) -> CertificateRow:
        """Issue the pending certificate of ``user_id``'s key (the admin unlocks the CA)."""
        need(admin, Permission.ADMINISTER)
        ca = self._unlock_ca(admin.user_id, admin_password)
        key = self._keys.active_key(user_id)
        if key is None:
            raise KeyProblem(f"{user_id} has no signing key: one is made when they set "
                             "their own password.")
        if self._keys.certificates(key.key_id):
            raise KeyProblem(f"The key of {user_id} has its certificate already.")
        writes = KeyWrites(admin.user_id)
        self._issue(writes, ca, user_id, key.key_id, pki.load_public(key.public_key_pem))
        self._keys.write(writes)
        return self._keys.certificates(key.key_id)[-1]

    def issue_beside(self, admin_id: str, admin_password: str, user_id: str) -> CertificateRow:
        """Issue ``user_id``'s pending certificate on their first-login screen, an
        administrator who holds the site CA beside them typing their own id and password."""
        admin = self._accounts.get(admin_id)
        if Role.ADMIN not in admin.roles or admin.one_time:
            raise KeyProblem(f"{admin_id} is not an administrator with their own password.")
        if admin_id == user_id:
            raise KeyProblem("Another administrator issues your certificate, not you.")
        return self.issue(Actor(admin.user_id, admin.full_name, frozenset(admin.roles)),
                          admin_password, user_id)

    def grant_ca(self, admin: Actor, admin_password: str, other_admin: str,
                 other_password: str) -> None:
        """Give ``other_admin`` their own wrap of the CA, their password typed beside."""
        need(admin, Permission.ADMINISTER)
        ca = self._unlock_ca(admin.user_id, admin_password)
        other = self._accounts.get(other_admin)
        if Role.ADMIN not in other.roles or not other.active:
            raise KeyProblem(f"{other_admin} is not an active administrator.")
        if other.one_time:
            raise KeyProblem(f"{other_admin} must set their own password first (a one-time "
                             "password is known to the administrator who gave it).")
        self._check_password(other_admin, other_password)
        writes = KeyWrites(admin.user_id)
        writes.grant(ca.key_id, other_admin,
                     pki.seal(ca.data_key, other_password, self._kdf,
                              _grant_ad(ca.key_id, other_admin)), "ca.granted")
        self._keys.write(writes)

    def new_ca_problem(self) -> str | None:
        """Why a new site CA may not be made now (None: it may): while an active
        administrator holds the current CA, they issue certificates from it."""
        ca = self._keys.current_ca()
        if ca is None:
            return None
        holders = [a.full_name for a in self._accounts.all()
                   if a.active and self._keys.grant_for(ca.key_id, a.user_id) is not None]
        if holders:
            return (f"{', '.join(holders)} still {'holds' if len(holders) == 1 else 'hold'} "
                    "the site CA: certificates are issued from it. A new CA is made only "
                    "when no administrator can unlock the current one.")
        return None

    def new_ca(self, admin: Actor, admin_password: str) -> x509.Certificate:
        """A new site CA held by ``admin`` (when nobody can unlock the current one any
        more): the old one is retired and kept; the admin's own pending certificate is
        issued from the new one."""
        need(admin, Permission.ADMINISTER)
        problem = self.new_ca_problem()
        if problem is not None:
            raise KeyProblem(problem)
        row = self._check_password(admin.user_id, admin_password)
        writes = KeyWrites(admin.user_id)
        old = self._keys.current_ca()
        if old is not None:
            writes.retire_ca(old.key_id)
        ca = self._create_ca(writes, admin.user_id, admin_password,
                             {"replaces": old.key_id} if old else {})
        key = self._keys.active_key(admin.user_id)
        if key is not None and not self._keys.certificates(key.key_id):
            self._issue(writes, ca, row.user_id, key.key_id,
                        pki.load_public(key.public_key_pem))
        self._keys.write(writes)
        return ca.cert

    def import_pkcs12(self, actor: Actor, password: str, data: bytes,
                      p12_password: bytes | None) -> CertificateRow:
        """The actor's institution key and certificate, sealed under their own password;
        it replaces their current key (retired, its certificate kept)."""
        if actor.one_time:
            raise KeyProblem("Set your own password before importing a signing key.")
        self._check_password(actor.user_id, password)
        try:
            key, cert, chain = pki.load_pkcs12(data, p12_password)
        except pki.PkiError as exc:
            raise KeyProblem(str(exc)) from None
        writes = KeyWrites(actor.user_id)
        current = self._keys.active_key(actor.user_id)
        if current is not None:
            writes.retire_key(current.key_id, "replaced by an imported key")
        key_id = pki.new_key_id()
        writes.add_key(key_id, actor.user_id, "imported", pki.public_pem(key),
                       pki.seal(pki.key_bytes(key), password, self._kdf,
                                _key_ad(actor.user_id, key_id)), {})
        self._record_cert(writes, key_id, actor.user_id, "imported", cert, chain)
        self._keys.write(writes)
        return self._keys.certificates(key_id)[-1]

    def seed_demo(self, admin_id: str, password: str) -> int:
        """The demo's keys: a CA held by ``admin_id`` and, for every account without a
        key, a key under ``password`` (every demo account's) with its certificate issued.
        How many keys were made. For the demo registry only."""
        missing = [a for a in self._accounts.all() if not self._keys.user_keys(a.user_id)]
        if not missing:
            return 0
        writes = KeyWrites(admin_id)
        current = self._keys.current_ca()
        ca = (self._create_ca(writes, admin_id, password, {"demo": "yes"}) if current is None
              else self._unlock_ca(admin_id, password))
        for account in missing:
            self._new_key(writes, account.user_id, password, (ca, account.full_name))
        self._keys.write(writes)
        return len(missing)

    # -- hooks for the accounts service ----------------------------------------------------

    def first_admin(self, user_id: str, full_name: str, password: str) -> KeyWrites:
        """The site CA, the first admin's wrap of it, their key and its certificate."""
        writes = KeyWrites(user_id)
        ca = self._create_ca(writes, user_id, password, {})
        self._new_key(writes, user_id, password, (ca, full_name))
        return writes

    def own_password(self, user_id: str, old_password: str | None,
                     new_password: str) -> KeyWrites:
        """A password the user set themselves: the key (and any CA wrap) re-sealed under
        it, or a first key (its certificate pending)."""
        writes = KeyWrites(user_id)
        key = self._keys.active_key(user_id)
        if key is not None and old_password is not None:
            try:
                secret = pki.unseal(key.sealed, old_password, _key_ad(user_id, key.key_id))
            except pki.WrongPassword:
                writes.retire_key(key.key_id, "could not be unlocked with the old password")
            else:
                writes.reseal_key(key.key_id, pki.seal(secret, new_password, self._kdf,
                                                       _key_ad(user_id, key.key_id)))
                self._rewrap_grants(writes, user_id, old_password, new_password)
                return writes
        elif key is not None:
            writes.retire_key(key.key_id, "its password is gone")
        self._rewrap_grants(writes, user_id, old_password, new_password)
        self._new_key(writes, user_id, new_password, None)
        return writes

    def recovered(self, user_id: str, new_password: str) -> KeyWrites:
        """A recovery: the old password is lost, so are the key and CA wrap under it."""
        writes = self.reset(user_id, user_id, "recovery (the old password is lost)")
        self._new_key(writes, user_id, new_password, None)
        return writes

    def reset(self, admin: str, user_id: str, reason: str = "password reset") -> KeyWrites:
        """A reset to a one-time password: the key is retired, any CA wrap dropped."""
        writes = KeyWrites(admin)
        key = self._keys.active_key(user_id)
        if key is not None:
            writes.retire_key(key.key_id, reason)
        if self._keys.grants(user_id):
            writes.drop_grants(user_id, reason)
        return writes

    def logged_in(self, user_id: str, password: str) -> KeyWrites:
        """An own password's login by an account that never had a key (made before keys
        existed): its first key, pending."""
        writes = KeyWrites(user_id)
        if not self._keys.user_keys(user_id):
            self._new_key(writes, user_id, password, None)
        return writes

    # -- inside -------------------------------------------------------------------------

    def _check_password(self, user_id: str, password: str) -> AccountRow:
        from desktop.services import passwords

        row = self._accounts.get(user_id)
        if not passwords.verify(passwords.site_hasher(), row.password_hash, password):
            self._accounts.count_failure(user_id, "key.password.failed",
                                         {"reason": "wrong password"})
            raise KeyProblem(f"The password of {user_id} is wrong.")
        if not row.active or row.locked:
            raise KeyProblem(f"The account {user_id} is deactivated or locked.")
        return row

    def _unlock_ca(self, user_id: str, password: str) -> _Ca:
        self._check_password(user_id, password)
        ca = self._keys.current_ca()
        if ca is None:
            raise KeyProblem("The site has no signing authority (CA) yet.")
        grant = self._keys.grant_for(ca.key_id, user_id)
        if grant is None:
            raise KeyProblem(f"{user_id} does not hold the site CA: an administrator who "
                             "holds it grants it (with both passwords typed), or a new CA "
                             "is made.")
        try:
            data_key = pki.unseal(grant.wrapped, password, _grant_ad(ca.key_id, user_id))
        except pki.WrongPassword:
            raise KeyProblem(f"The password of {user_id} does not unlock the site "
                             "CA.") from None
        key = pki.load_key(pki.decrypt(data_key, ca.sealed_key, _ca_ad(ca.key_id)))
        return _Ca(ca.key_id, data_key, key, pki.load_cert(ca.certificate_pem))

    def _create_ca(self, writes: KeyWrites, user_id: str, password: str,
                   details: dict[str, str]) -> _Ca:
        from desktop.registry.site_settings import SiteSettingRepository

        site = SiteSettingRepository(self._registry).get("site_name", "") or ""
        key, cert = pki.new_site_ca(str(site), self._clock())
        key_id, data_key = pki.new_key_id(), pki.new_data_key()
        writes.add_ca(key_id, pki.subject_text(cert.subject), pki.cert_pem(cert),
                      pki.encrypt(data_key, pki.key_bytes(key), _ca_ad(key_id)), details)
        writes.grant(key_id, user_id, pki.seal(data_key, password, self._kdf,
                                               _grant_ad(key_id, user_id)), "ca.granted")
        return _Ca(key_id, data_key, key, cert)

    def _new_key(self, writes: KeyWrites, user_id: str, password: str,
                 issue: tuple[_Ca, str] | None) -> None:
        """A new key pair sealed under ``password``; with ``issue`` (the CA unlocked and
        the printed name), its certificate at once."""
        key, key_id = pki.new_key(), pki.new_key_id()
        writes.add_key(key_id, user_id, "generated", pki.public_pem(key),
                       pki.seal(pki.key_bytes(key), password, self._kdf,
                                _key_ad(user_id, key_id)),
                       {"algorithm": "ECDSA P-256", "certificate": "issued" if issue else
                        "pending"})
        if issue is not None:
            self._issue(writes, issue[0], user_id, key_id, key.public_key(), issue[1])

    def _issue(self, writes: KeyWrites, ca: _Ca, user_id: str, key_id: str,
               public: pki.PublicKey, name: str | None = None) -> None:
        name = name or self._accounts.names().get(user_id, user_id)
        cert = pki.issue_certificate(ca.key, ca.cert, public, user_id, name, self._clock())
        self._record_cert(writes, key_id, user_id, "issued", cert, (ca.cert,))

    @staticmethod
    def _record_cert(writes: KeyWrites, key_id: str, user_id: str, source: str,
                     cert: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> None:
        writes.add_certificate(key_id, user_id, source, format(cert.serial_number, "x"),
                               pki.subject_text(cert.subject), pki.subject_text(cert.issuer),
                               pki.not_after(cert), pki.cert_pem(cert),
                               "".join(pki.cert_pem(c) for c in chain))

    def _rewrap_grants(self, writes: KeyWrites, user_id: str, old: str | None,
                       new: str) -> None:
        for grant in self._keys.grants(user_id):
            ad = _grant_ad(grant.ca_key_id, user_id)
            try:
                data_key = pki.unseal(grant.wrapped, old or "", ad)
            except pki.WrongPassword:
                writes.drop_grants(user_id, "could not be unlocked with the old password")
                continue
            writes.grant(grant.ca_key_id, user_id, pki.seal(data_key, new, self._kdf, ad),
                         "ca.grant_rewrapped")

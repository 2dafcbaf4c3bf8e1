"""Who recorded what, in words: the logged-in user's printed name, or the name an entry
was recorded with before the registry had accounts.

Entries made before the first administrator was created (``accounts_since``) carry the
operating-system login they were made under; they are shown with "(before accounts)".
A sign-off from then was a typed name, not an electronic signature, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

BEFORE_ACCOUNTS: Final = "before accounts"
LEGACY_SIGNOFF: Final = "legacy sign-off (typed name), not an electronic signature"


@dataclass(frozen=True)
class Attribution:
    """The registry's accounts (user id -> printed name) and when they began (UTC)."""

    names: Mapping[str, str] = field(default_factory=dict)
    accounts_since: datetime | None = None

    def _before(self, at: datetime | None) -> bool:
        if self.accounts_since is None:
            return True
        if at is None:
            return False
        moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        return moment < self.accounts_since

    def who(self, recorded: str, at: datetime | None) -> str:
        """``recorded`` (a user id, or a login from before accounts) for a person to read."""
        if self._before(at):
            return f"{recorded} ({BEFORE_ACCOUNTS})"
        name = self.names.get(recorded)
        return f"{name} ({recorded})" if name else recorded

    def signoff(self, recorded: str, at: datetime | None) -> str:
        """A sign-off's signer: a typed name from before accounts says it is not an
        electronic signature."""
        if self._before(at):
            return f"{recorded} — {LEGACY_SIGNOFF}"
        return recorded

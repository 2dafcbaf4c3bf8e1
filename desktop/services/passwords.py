"""Password and recovery-code hashing: argon2id through argon2-cffi.

The parameters are argon2-cffi's default profile, RFC 9106's "low memory" choice:
argon2id, 64 MiB of memory, 3 passes, 4 lanes, a 16-byte random salt and a 32-byte
hash. That is above OWASP's current minimum for argon2id (19 MiB, 2 passes, 1 lane),
and a verify takes about 0.24 s on the reference machine (2 cores): slow for a guesser,
unnoticed at a login. Tests pass a cheaper hasher (``fast_hasher``) so the suite stays
quick; nothing in the app does.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # argon2 is imported on first use: the login window opens without it
    from argon2 import PasswordHasher

#: OWASP Password Storage Cheat Sheet, argon2id minimum (m = 19 MiB, t = 2, p = 1).
OWASP_MIN_MEMORY_KIB: Final = 19 * 1024
OWASP_MIN_TIME_COST: Final = 2

#: Letters for one-time passwords and recovery codes: no 0/O, 1/l/I to misread.
_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"


def site_hasher() -> PasswordHasher:
    """The hasher the app uses (RFC 9106 low-memory profile, argon2id)."""
    from argon2 import PasswordHasher, Type

    return PasswordHasher(type=Type.ID)


def fast_hasher() -> PasswordHasher:
    """For tests only: argon2id with the smallest cost argon2-cffi accepts."""
    from argon2 import PasswordHasher, Type

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)


def verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash (False for a damaged hash too)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def random_code(groups: int, size: int = 4) -> str:
    """A random code such as ``k7pq-3mxz-a9rt`` (about 5 bits per letter)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size))
                    for _ in range(groups))


def normalise_code(text: str) -> str:
    """A typed code compared as printed: lower-case, spaces dropped."""
    return "".join(text.split()).lower()

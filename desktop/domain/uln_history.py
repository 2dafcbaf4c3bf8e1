"""The site's upper limits of normal over time: each value holds from its effective date.

A result is judged against the ULN in force on the day it was taken (the local date of
its time), so recording a new ULN never changes an older result's ULN. Before a code's
first effective date there is no site ULN for it (the criterion then asks for one).

As a ``Mapping`` (code -> value) it gives each code's latest value, for callers that
have no result date; the engine asks ``on(code, day)``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from fractions import Fraction


class UlnHistory(Mapping[str, Fraction]):
    """Code -> dated values in the code's canonical unit."""

    def __init__(self, entries: Iterable[tuple[str, date, Fraction]] = ()) -> None:
        by_code: dict[str, dict[date, Fraction]] = {}
        for code, effective_from, value in entries:
            # A later entry for the same code and day replaces an earlier one.
            by_code.setdefault(code, {})[effective_from] = value
        self._dates: dict[str, list[date]] = {}
        self._values: dict[str, list[Fraction]] = {}
        for code, dated in by_code.items():
            days = sorted(dated)
            self._dates[code] = days
            self._values[code] = [dated[day] for day in days]

    def on(self, code: str, day: date) -> Fraction | None:
        """The ULN of ``code`` in force on ``day`` (its effective date included)."""
        days = self._dates.get(code)
        if not days:
            return None
        index = bisect.bisect_right(days, day) - 1
        return self._values[code][index] if index >= 0 else None

    def since(self, code: str, day: date) -> date | None:
        """The effective date of the value ``on(code, day)`` returns."""
        days = self._dates.get(code) or []
        index = bisect.bisect_right(days, day) - 1
        return days[index] if index >= 0 else None

    def __getitem__(self, code: str) -> Fraction:
        return self._values[code][-1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"UlnHistory({dict(zip(self._dates, self._values.values(), strict=True))})"


def as_history(table: Mapping[str, Fraction] | None, since: date = date.min) -> UlnHistory:
    """A plain table (one value per code) as a history in force from ``since``."""
    if isinstance(table, UlnHistory):
        return table
    return UlnHistory((code, since, value) for code, value in (table or {}).items())

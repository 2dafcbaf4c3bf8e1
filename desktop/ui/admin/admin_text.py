"""The words the admin screen shows for accounts, delegation lines and site settings.

Plain functions over the services' rows, so the table models, the dialogs and the tests
say the same thing the same way. No rule is decided here: a status is read off the row
the accounts service returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Final

from desktop.domain.accounts import Role
from desktop.domain.units import CODES
from desktop.services.accounts import AccountRow
from desktop.services.delegations import DelegationRow
from desktop.services.site_settings import UlnRow

ACTIVE: Final = "active"
DEACTIVATED: Final = "deactivated"
LOCKED: Final = "locked after failed logins"
MUST_CHANGE: Final = "must change password"
OPEN_ENDED: Final = "open-ended"


def roles_label(roles: Iterable[Role]) -> str:
    """The roles' labels in the enum's order, e.g. "Coordinator, Investigator"."""
    chosen = set(roles)
    return ", ".join(role.label for role in Role if role in chosen) or "no role"


def account_status(row: AccountRow) -> str:
    """What most needs saying about the account: deactivated, locked, or a one-time
    password still to be changed; else active."""
    if not row.active:
        return DEACTIVATED
    if row.locked:
        return LOCKED
    if row.one_time:
        return MUST_CHANGE
    return ACTIVE


def status_detail(row: AccountRow) -> str:
    """The status as a sentence, for the tooltip."""
    status = account_status(row)
    if status == DEACTIVATED:
        return ("Deactivated: cannot log in. The account is kept, with everything it "
                "recorded, and its user id is never reused.")
    if status == LOCKED:
        return (f"Locked after {row.failed_attempts} failed logins in a row: Unlock, or "
                "reset the password.")
    if status == MUST_CHANGE:
        return ("Has a one-time password: it logs in only to set a new password, and "
                "never signs.")
    if row.failed_attempts:
        return f"Active; {row.failed_attempts} failed login(s) since the last good one."
    return "Active."


def labelled(user_id: str, name: str | None) -> str:
    """ "Ivy Investigator (ivy)", or the bare user id without a name."""
    return f"{name} ({user_id})" if name else user_id


def person(user_id: str, names: Mapping[str, str]) -> str:
    """A user id with its account's printed name (bare if the account is unknown)."""
    return labelled(user_id, names.get(user_id))


def account_person(row: AccountRow) -> str:
    return labelled(row.user_id, row.full_name)


def day(value: date) -> str:
    return value.isoformat()


def moment(value: datetime) -> str:
    """A stored (UTC) time in the computer's local time, to the minute."""
    return f"{value.astimezone():%Y-%m-%d %H:%M}"


def trial_choice(trial_id: str, title: str) -> str:
    """How a trial is offered: "NCT… — its title" (the title in full)."""
    return f"{trial_id} — {title}" if title else trial_id


def until_text(line: DelegationRow) -> str:
    return day(line.end) if line.end is not None else OPEN_ENDED


def recorded_text(line: DelegationRow, names: Mapping[str, str]) -> str:
    return f"{person(line.recorded_by, names)}, {moment(line.recorded_at)}"


def revoked_text(line: DelegationRow, names: Mapping[str, str]) -> str:
    """ "" for a line in the log that stands; else by whom, when and why."""
    if line.revoked_at is None:
        return ""
    by = person(line.revoked_by or "", names)
    reason = f" — {line.revoke_reason}" if line.revoke_reason else ""
    return f"{by}, {moment(line.revoked_at)}{reason}"


def line_summary(line: DelegationRow, names: Mapping[str, str]) -> str:
    """One sentence naming a line, for the revoke dialog."""
    until = f"until {day(line.end)}" if line.end is not None else OPEN_ENDED
    return (f"Line {line.id}: {person(line.user_id, names)} for {line.trial_id} as "
            f"{line.duty}, from {day(line.start)}, {until}.")


def code_label(code: str) -> str:
    """An observation as the forms name it: "AST", "Serum creatinine"."""
    found = CODES.get(code)
    return found.label if found is not None else code


def uln_standing(row: UlnRow, following: UlnRow | None, today: date) -> tuple[bool, str]:
    """(in force today, a sentence) for a dated ULN, ``following`` being the next row of
    the same observation in the service's order (by date, then as recorded)."""
    if following is not None and following.effective_from == row.effective_from:
        return False, ("Replaced by a later entry with the same date: results are judged "
                       "against that one.")
    if row.effective_from > today:
        return False, f"Not in force yet: results taken from {day(row.effective_from)} on."
    if following is not None and following.effective_from <= today:
        last = following.effective_from - timedelta(days=1)
        return False, (f"In force for results taken from {day(row.effective_from)} to "
                       f"{day(last)}; they keep it.")
    return True, f"In force today (results taken from {day(row.effective_from)} on)."

"""The content a signature on a stage is linked to, built from a verdict and what it
was evaluated on (21 CFR 11.70): :class:`desktop.domain.signing.SignedContent`.

Pure: the registry hands in the verdict, the typed text of each result, the ULN table
and the visit's entries; nothing here reads a file or a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from fractions import Fraction

from desktop.domain.record import Observation
from desktop.domain.results import Verdict
from desktop.domain.signing import SignedAnswer, SignedContent, SignedObservation
from desktop.domain.uln_history import UlnHistory
from desktop.domain.units import CODES, convert

#: value as typed, ULN as typed (None: none typed) of one parsed result.
Typed = tuple[str, str | None]
#: value ("yes", "no", "n/a"), note, source document of one answer.
AnswerParts = tuple[str, str, str]


def used_observations(verdict: Verdict) -> list[Observation]:
    """Every result the verdict's outcomes were computed from, once each, in order."""
    return list(dict.fromkeys(o for r in verdict.results for o in r.used))


def _site_uln(obs: Observation, site_uln: Mapping[str, Fraction] | UlnHistory) -> str | None:
    """The site's ULN in force for the result's day, exact, in the result's unit."""
    value = site_uln.on(obs.code, obs.at.date()) if isinstance(site_uln, UlnHistory) \
        else site_uln.get(obs.code)
    if value is None or obs.code not in CODES:
        return None
    return str(convert(obs.code, value, CODES[obs.code].canonical, obs.unit))


def signed_observation(obs: Observation, typed: Typed,
                       site_uln: Mapping[str, Fraction] | UlnHistory) -> SignedObservation:
    value, uln = typed
    if uln is not None and uln.strip():
        return SignedObservation(obs.code, value.strip(), obs.unit, obs.at, uln.strip(),
                                 "result")
    site = _site_uln(obs, site_uln)
    return SignedObservation(obs.code, value.strip(), obs.unit, obs.at, site,
                             None if site is None else "site")


def build_content(*, trial_id: str, trial_sha256: str, stage_id: str, repeat: int,
                  version: int, verdict: Verdict, typed: Mapping[Observation, Typed],
                  site_uln: Mapping[str, Fraction] | UlnHistory,
                  answers: Mapping[str, AnswerParts], events: Mapping[str, datetime],
                  facts: Mapping[str, bool], birth_date: date | None, sex: str | None,
                  assessed_at: datetime) -> SignedContent:
    """The signed content of one evaluated stage version (``typed``: every result the
    verdict used, with its text as typed)."""
    return SignedContent(
        trial_id=trial_id, trial_sha256=trial_sha256, stage_id=stage_id, repeat=repeat,
        version=version,
        observations=tuple(signed_observation(o, typed[o], site_uln)
                           for o in used_observations(verdict)),
        answers=tuple(SignedAnswer(cid, value, note, source)
                      for cid, (value, note, source) in sorted(answers.items())),
        events=dict(events), facts=dict(facts), decision=verdict.decision,
        birth_date=birth_date, sex=sex, assessed_at=assessed_at)

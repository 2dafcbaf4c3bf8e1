"""An exception only ever widens what passes, for every criterion of the whole library.

For every criterion with an exception fact (Gilbert's syndrome, disease-related
hemolysis), turning the fact from false or unrecorded to true never turns ``pass`` into
``unknown`` or ``fail``, for any values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.domain.engine import evaluate, inputs
from desktop.domain.record import Observation, Record
from desktop.domain.trial import AllOf, AnyOf, Criterion, Exception_, Rule, Stage, Trial
from desktop.domain.units import CODES, LIMITS
from desktop.library import load_library

AS_OF = datetime(2026, 11, 2, 9, 0)


def _facts_of(rule: Rule | None) -> set[str]:
    if isinstance(rule, Exception_):
        return set(rule.facts) | _facts_of(rule.base) | _facts_of(rule.relaxed)
    if isinstance(rule, AnyOf | AllOf):
        return {f for part in rule.of for f in _facts_of(part)}
    return set()


CASES: list[tuple[Trial, Stage, Criterion, str]] = [
    (trial, stage, criterion, fact)
    for trial in load_library() for stage in trial.stages for criterion in stage.criteria
    for fact in sorted(_facts_of(criterion.rule))
]


def test_the_library_has_exception_criteria_to_check() -> None:
    assert len(CASES) >= 6  # NCT05744440, NCT06138587 (2), NCT06152809 (4 stages)


def _observation(draw: Any, code: str) -> Observation:
    """A value near the limits that matter: a multiple of its ULN, mostly fresh."""
    low, high = LIMITS[code]
    unit = CODES[code].canonical
    uln = draw(st.fractions(min_value=Fraction(1, 10), max_value=Fraction(5),
                            max_denominator=100))
    times = draw(st.fractions(min_value=0, max_value=4, max_denominator=20))
    value = min(max(uln * times, low), high)
    hours = draw(st.integers(min_value=0, max_value=60) | st.integers(0, 24 * 40))
    return Observation(code, value, unit, AS_OF - timedelta(hours=hours),
                       draw(st.sampled_from([uln, None])))


@pytest.mark.parametrize(("trial", "stage", "criterion", "fact"), CASES,
                         ids=[f"{t.id}-{s.id}-{c.id}-{f}" for t, s, c, f in CASES])
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_a_true_exception_fact_never_takes_a_pass_away(trial: Trial, stage: Stage,
                                                       criterion: Criterion, fact: str,
                                                       data: st.DataObject) -> None:
    names = inputs(criterion, stage)
    observations = tuple(
        _observation(data.draw, code) for code in names if code in CODES
        for _ in range(data.draw(st.integers(min_value=0, max_value=2))))
    events = {name: AS_OF + timedelta(hours=data.draw(st.integers(0, 12)))
              for name in ("infusion", "lymphodepletion", "treatment_start", "transplant",
                           "venetoclax_start") if data.draw(st.integers(0, 9)) > 0}
    other = {f: data.draw(st.booleans()) for f in ("gilbert_syndrome",
                                                   "disease_related_hemolysis")
             if f != fact and data.draw(st.booleans())}
    before_fact = data.draw(st.sampled_from([False, None]))
    site_uln = {"bilirubin_total": Fraction(1), "bilirubin_direct": Fraction(3, 10)} \
        if data.draw(st.booleans()) else {}  # used where an observation carries no ULN

    def outcome(value: bool | None) -> str:
        facts = dict(other)
        if value is not None:
            facts[fact] = value
        record = Record(as_of=AS_OF, birth_date=datetime(1960, 1, 1).date(), sex="female",
                        events=events, facts=facts, observations=observations)
        verdict = evaluate(trial, stage.id, record, site_uln)
        return next(r.outcome for r in verdict.results if r.id == criterion.id)

    if outcome(before_fact) == "pass":
        assert outcome(True) == "pass"

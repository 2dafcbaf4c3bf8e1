"""An exception rule's three-valued logic: ``base`` OR (a fact AND ``relaxed``).

A protocol's exception (a higher bilirubin limit with Gilbert's syndrome, say) only ever
widens what passes; :func:`exception_truth` combines the two limits' truths with the
recorded facts, and words what is still needed when the facts are not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from desktop.domain.reasons import first_lower
from desktop.domain.results import Truth
from desktop.domain.trial import FACTS, Exception_, Rule


def exception_truth(rule: Exception_, facts: Mapping[str, bool],
                    evaluate: Callable[[Rule], Truth]) -> Truth:
    """``base`` OR (a fact AND ``relaxed``): an exception only ever widens what passes.

    Three-valued (Kleene): the base limit passing is enough, whatever the facts; the
    relaxed limit counts only once a fact is recorded true; with the facts unrecorded,
    a value that only the relaxed limit admits asks for them.
    """
    names = " or ".join(FACTS[f] for f in rule.facts)
    base = evaluate(rule.base)
    if base.holds is True:
        return base
    recorded = [facts.get(f) for f in rule.facts]
    if all(f is False for f in recorded):
        return base
    relaxed = evaluate(rule.relaxed)
    if any(recorded):
        if relaxed.holds is True:
            return Truth(True, f"{relaxed.reason} (the limit for {names}; "
                               f"{first_lower(base.reason)})", base.used + relaxed.used)
        if base.holds is False and relaxed.holds is False:
            return Truth(False, f"{base.reason}; with {names}: {relaxed.reason}",
                         base.used + relaxed.used)
        return Truth(None, f"{base.reason}; with {names}: {relaxed.reason}",
                     base.used + relaxed.used)
    # Facts not (all) recorded, none true.
    if relaxed.holds is False:
        if base.holds is False:
            return Truth(False, f"{base.reason}; even with {names}: {relaxed.reason}",
                         base.used + relaxed.used)
        return base
    if base.holds is None:
        return base
    if relaxed.holds is None:
        return Truth(None, f"{base.reason}; with {names}: {relaxed.reason}",
                     base.used + relaxed.used)
    return Truth(None, f"{base.reason}, but {first_lower(relaxed.reason)} is within the "
                       f"limit for {names}: record whether the patient has {names}",
                 base.used + relaxed.used)

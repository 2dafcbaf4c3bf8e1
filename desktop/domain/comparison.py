"""One comparison of a rule with the record: ``Comparator.compare(rule, window) -> Truth``.

The observation a :class:`~desktop.domain.trial.Compare` reads is picked here: the latest
(or the highest) at or before ``as_of``, inside the rule's window around a planned event;
body measures are the latest whatever the window. The derived quantities (age,
Cockcroft-Gault creatinine clearance, corrected calcium) are computed here too, and a
missing, stale or unusable value says what is needed instead. Limits against the upper
limit of normal use the observation's own ULN, else the site's.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from desktop.domain import calc, numbers
from desktop.domain.reasons import qty, shown, verdict_text
from desktop.domain.record import Observation, Record
from desktop.domain.results import Truth
from desktop.domain.text import fmt_number, fmt_when
from desktop.domain.timewindow import Bounds, bounds
from desktop.domain.trial import EVENTS, Compare, Window
from desktop.domain.uln_history import UlnHistory
from desktop.domain.units import CODES, convert

OPS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_BODY_CODES = frozenset({"weight", "height"})  # body measures: latest at or before as_of


@dataclass
class Comparator:
    """The record's observations, by code, and the site's ULNs, for every comparison of
    one evaluation."""

    record: Record
    site_uln: Mapping[str, Fraction]
    #: Observations by code, at or before ``as_of`` (later ones are ignored).
    by_code: dict[str, list[Observation]] = field(default_factory=dict)
    #: Window bounds computed once per window and event date.
    spans: dict[tuple[Window, datetime], Bounds] = field(default_factory=dict)

    def _bounds(self, window: Window, event_at: datetime) -> Bounds:
        key = (window, event_at)
        found = self.spans.get(key)
        if found is None:
            found = self.spans[key] = bounds(window, event_at, self.record.zone)
        return found

    def __post_init__(self) -> None:
        for obs in self.record.observations:
            if obs.at <= self.record.as_of:
                self.by_code.setdefault(obs.code, []).append(obs)

    def _pick(self, code: str, window: Window | None,
              select: str = "latest") -> tuple[Observation | None, Truth | None]:
        label = CODES[code].label
        taken = self.by_code.get(code, [])
        if window is None or code in _BODY_CODES:
            if not taken:
                return None, Truth(None, f"No {label} result")
            return _choose(taken, select), None
        event_at = self.record.events.get(window.event)
        if event_at is None:
            return None, Truth(None, f"{label} must be {window.describe()}: "
                                     f"enter the planned {EVENTS[window.event]} date")
        span = self._bounds(window, event_at)
        fresh = [o for o in taken if span.admits(o.at)]
        if fresh:
            return _choose(fresh, select), None
        where = f"{window.describe()} ({fmt_when(event_at)})"
        due = (f"due on {span.start.date().isoformat()}" if window.on_day
               else f"due from {fmt_when(span.start)}")
        if not taken:
            return None, Truth(None, f"No {label} result {where}; {due}")
        latest = max(taken, key=lambda o: o.at)
        return None, Truth(None, f"{label} of {fmt_when(latest.at)} is stale: it must be "
                                 f"{where}; a new result is {due}", (latest,))

    def _uln(self, obs: Observation) -> tuple[Fraction | None, str]:
        if obs.uln is not None:
            return obs.uln, "ULN"
        site_uln = self.site_uln
        # A dated table: the value in force on the day the result was taken.
        site = site_uln.on(obs.code, obs.at.date()) if isinstance(site_uln, UlnHistory) \
            else site_uln.get(obs.code)
        if site is None:
            return None, ""
        return convert(obs.code, site, CODES[obs.code].canonical, obs.unit), "site ULN"

    def compare(self, rule: Compare, window: Window | None) -> Truth:
        if rule.of == "age":
            return self._age(rule)
        if rule.of == "crcl_cockcroft_gault":
            return self._crcl(rule, window)
        if rule.of == "corrected_calcium":
            return self._corrected_calcium(rule, window)
        obs, problem = self._pick(rule.of, window, rule.select)
        if problem is not None:
            return problem
        assert obs is not None
        label = CODES[rule.of].label
        if rule.uln is not None:
            uln, uln_name = self._uln(obs)
            if uln is None:
                return Truth(None, f"{label} {qty(obs.value, obs.unit)} on {fmt_when(obs.at)}: "
                                   f"no upper limit of normal; enter the institutional ULN",
                             (obs,))
            holds = OPS[rule.op](obs.value, rule.uln * uln)
            ratio = shown(obs.value / uln, rule.op, rule.uln, holds, places=2)
            desc = (f"{label} {qty(obs.value, obs.unit)} = {ratio} x {uln_name} "
                    f"({qty(uln, obs.unit)}) on {fmt_when(obs.at)}")
            return Truth(holds, verdict_text(desc, holds, rule.op, f"{fmt_number(rule.uln)} x ULN"),
                         (obs,))
        assert rule.value is not None
        assert rule.unit is not None
        value = obs.in_unit(rule.unit)
        holds = OPS[rule.op](value, rule.value)
        desc = f"{label} {qty(obs.value, obs.unit)}"
        if obs.unit != rule.unit:
            desc += f" = {shown(value, rule.op, rule.value, holds, places=2)} {rule.unit}"
        desc += f" on {fmt_when(obs.at)}"
        return Truth(holds, verdict_text(desc, holds, rule.op, qty(rule.value, rule.unit)), (obs,))

    def _age(self, rule: Compare) -> Truth:
        if self.record.birth_date is None:
            return Truth(None, "Date of birth needed for age")
        assert rule.value is not None
        age = calc.age_years(self.record.birth_date, self.record.as_of.date())
        holds = OPS[rule.op](Fraction(age), rule.value)
        desc = (f"Age {age} y (born {self.record.birth_date.isoformat()}, "
                f"on {self.record.as_of.date().isoformat()})")
        return Truth(holds, verdict_text(desc, holds, rule.op, fmt_number(rule.value)))

    def _crcl(self, rule: Compare, window: Window | None) -> Truth:
        creat, problem = self._pick("creatinine", window)
        if problem is not None:
            return problem
        assert creat is not None
        assert rule.value is not None
        weight, problem = self._pick("weight", None)
        if problem is not None:
            return Truth(None, "Cockcroft-Gault needs the actual body weight: no weight result")
        assert weight is not None
        if self.record.birth_date is None:
            return Truth(None, "Cockcroft-Gault needs the date of birth")
        if self.record.sex is None:
            return Truth(None, "Cockcroft-Gault needs the patient's sex")
        creat_mg = creat.in_unit("mg/dL")
        if creat_mg <= 0:
            return Truth(None, "Creatinine of 0 cannot be used for Cockcroft-Gault: check the "
                               "value", (creat,))
        age = calc.age_years(self.record.birth_date, self.record.as_of.date())
        kg = weight.in_unit("kg")
        crcl = calc.cockcroft_gault(age, kg, creat_mg, self.record.sex == "female")
        holds = OPS[rule.op](crcl, rule.value)
        shown_kg = fmt_number(kg)
        if weight.unit != "kg":
            shown_kg = f"{qty(weight.value, weight.unit)} = {shown_kg}"
        shown_cr = numbers.fixed(creat_mg, 2)
        if creat.unit != "mg/dL":
            shown_cr = f"{qty(creat.value, creat.unit)} = {shown_cr}"
        desc = (f"CrCl {shown(crcl, rule.op, rule.value, holds, places=1)} mL/min "
                f"(Cockcroft-Gault: age {age} y, {shown_kg} kg, creatinine {shown_cr} mg/dL "
                f"on {fmt_when(creat.at)}, {self.record.sex})")
        return Truth(holds, verdict_text(desc, holds, rule.op, fmt_number(rule.value)),
                     (creat, weight))

    def _corrected_calcium(self, rule: Compare, window: Window | None) -> Truth:
        ca, problem = self._pick("calcium", window)
        if problem is not None:
            return problem
        alb, problem = self._pick("albumin", window)
        if problem is not None:
            return Truth(None, f"Corrected calcium needs albumin: {problem.reason}")
        assert ca is not None
        assert alb is not None
        corrected = calc.corrected_calcium(ca.in_unit("mg/dL"), alb.in_unit("g/dL"))
        inputs = (f"calcium {qty(ca.value, ca.unit)}, albumin {qty(alb.value, alb.unit)} "
                  f"on {fmt_when(max(ca.at, alb.at))}")
        if rule.uln is not None:
            uln, _name = self._uln(ca)
            if uln is None:
                return Truth(None, "Corrected calcium: no upper limit of normal for calcium; "
                                   "enter the institutional ULN", (ca, alb))
            limit = rule.uln * convert("calcium", uln, ca.unit, "mg/dL")
            holds = OPS[rule.op](corrected, limit)
            desc = (f"Corrected calcium {shown(corrected, rule.op, limit, holds, 2)} mg/dL "
                    f"({inputs})")
            return Truth(holds, verdict_text(desc, holds, rule.op,
                                         f"{fmt_number(rule.uln)} x ULN "
                                         f"({qty(limit, 'mg/dL')})"), (ca, alb))
        assert rule.value is not None
        assert rule.unit is not None
        value = convert("calcium", corrected, "mg/dL", rule.unit)
        holds = OPS[rule.op](value, rule.value)
        desc = f"Corrected calcium {shown(value, rule.op, rule.value, holds, 2)} {rule.unit} " \
               f"({inputs})"
        return Truth(holds, verdict_text(desc, holds, rule.op, qty(rule.value, rule.unit)),
                     (ca, alb))



def _choose(observations: list[Observation], select: str) -> Observation:
    if select == "max":
        return max(observations, key=lambda o: (o.in_unit(CODES[o.code].canonical), o.at))
    return max(observations, key=lambda o: o.at)

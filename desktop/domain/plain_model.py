"""The base of the trial file's plain models: frozen classes built by keyword, written
out rather than made with :mod:`dataclasses` (whose generated methods cost over a
millisecond a class at every start-up), validated and dumped through the schema of
:mod:`desktop.domain.trial_schema`. Pure Python with no imports beyond the standard
library's cheapest, so a headless command starts fast.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, Self, dataclass_transform


class _Factory:
    """A field's default made afresh for every model (``model_field(default_factory=...)``)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def model_field(*, default_factory: Callable[[], Any]) -> Any:
    return _Factory(default_factory)


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(model_field,))
class PlainModel:
    """What every trial model shares: keyword construction of its annotated fields (in
    order, with their defaults), no assignment after it, equality, hashing and ``repr``
    over the fields, like a frozen keyword-only dataclass. Written out rather than made
    with :mod:`dataclasses`, whose generated methods cost over a millisecond a class at
    every start-up; plus validation and JSON through the schema."""

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    _getter: ClassVar[Callable[..., Any]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        # The class's own annotations (names only, in order); inspect.get_annotations
        # would import inspect, the start-up cost this class avoids.
        own = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063
        cls._fields = (*cls._fields, *(name for name in own if name not in cls._fields))
        cls._defaults = cls._defaults | {name: cls.__dict__[name] for name in own
                                         if name in cls.__dict__}
        # The fields' values as one tuple, in C (equality and hashing are on hot paths);
        # every model has two fields or more, so the getter always answers a tuple.
        cls._getter = attrgetter(*cls._fields)

    def __init__(self, **values: Any) -> None:
        cls = type(self)
        unknown = values.keys() - set(cls._fields)
        if unknown:
            raise TypeError(f"{cls.__name__}: unexpected fields {sorted(unknown)}")
        state = self.__dict__
        for name in cls._fields:
            if name in values:
                state[name] = values[name]
            elif name in cls._defaults:
                default = cls._defaults[name]
                state[name] = default.make() if isinstance(default, _Factory) else default
            else:
                raise TypeError(f"{cls.__name__}: missing field {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a trial model is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a trial model is frozen")

    def _values(self) -> tuple[Any, ...]:
        values: tuple[Any, ...] = self._getter(self)
        return values

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self._getter(self) == self._getter(other))

    def __hash__(self) -> int:
        return hash((self.__class__, self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self.__dict__[name]!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({shown})"

    @classmethod
    def model_validate(cls, data: object) -> Self:
        """``data`` (a trial file's shape) checked against the schema, as this model;
        raises pydantic's ``ValidationError``."""
        from desktop.domain.trial_schema import validate

        return validate(cls, data)

    def model_dump_json(self) -> str:
        """The schema's JSON of this model (numbers as floats), which validates back."""
        from desktop.domain.trial_schema import dump_json

        return dump_json(self)

"""The schema of a site settings file (``site.json``), checked by :mod:`desktop.site`.

Apart from it so that reading a site file is the only thing that imports pydantic: the
headless ``evaluate`` without ``--site`` starts without it.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, StrictStr


class UlnEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    value: Decimal | int = Field(description="the upper limit of normal, above 0")
    unit: StrictStr | None = Field(default=None, description="default: the canonical unit")


class ConfirmEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    below: Decimal | int | None = Field(default=None, description="confirm a value under it")
    above: Decimal | int | None = Field(default=None, description="confirm a value over it")
    unit: StrictStr | None = Field(default=None, description="default: the canonical unit")


class SiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    uln: dict[StrictStr, UlnEntry] = Field(default_factory=dict)
    confirm: dict[StrictStr, ConfirmEntry] = Field(default_factory=dict)
    mrn_characters: StrictStr | None = Field(
        default=None, description="the characters an MRN may hold: a character class body")

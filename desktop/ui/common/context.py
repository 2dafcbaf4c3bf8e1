"""What the screening windows share: the services, the trial library, site settings.

Built once the registry is open and handed to every patient view, visit form and
screening log, so none of them opens files or databases on its own. The trial library
and the site's ULN table are read on first use: the patient list never pays for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.ui.common.messages import MessageService

if TYPE_CHECKING:
    from desktop.domain.accounts import Actor
    from desktop.domain.trial import Trial
    from desktop.services.lab_orders import LabOrderService
    from desktop.services.logs import LogService
    from desktop.services.patients import PatientService
    from desktop.services.prescreening import PrescreenService
    from desktop.services.rows import ConfirmLimit, Registry
    from desktop.services.screening import ScreeningService
    from desktop.services.signing import SigningService
    from desktop.services.site_settings import SiteValues
    from desktop.services.worksheets import WorksheetService


class ContextError(Exception):
    """The trial library or site settings cannot be read; ``str()`` says which file."""


@dataclass
class ScreeningContext:
    registry: Registry
    user: str
    patients: PatientService
    messages: MessageService
    data_dir: Path
    clock: Callable[[], datetime] = datetime.now
    #: The logged-in user the services act for (None: ``user`` as a plain name, in
    #: tests of the screening windows below the accounts).
    actor: Actor | None = None
    #: None: the packaged ``trials/`` folder.
    trials_dir: Path | None = None
    _trials: dict[str, Trial] | None = field(default=None, repr=False)
    _site_values: SiteValues | None = field(default=None, repr=False)
    _screenings: ScreeningService | None = field(default=None, repr=False)
    _signing: SigningService | None = field(default=None, repr=False)
    _worksheets: WorksheetService | None = field(default=None, repr=False)

    @property
    def screenings(self) -> ScreeningService:
        """Built on first use: it loads the engine, which the patient list never needs."""
        if self._screenings is None:
            from desktop.services.screening import ScreeningService

            # The service evaluates a visit it completes with the same library and
            # site table the windows show (read once, on first use).
            self._screenings = ScreeningService.open(self.registry, self.actor or self.user,
                                                     self.clock,
                                                     trials=self._library_trial,
                                                     site_uln=self._site_table,
                                                     confirm_limits=self._confirm_limits())
        return self._screenings

    @property
    def signing(self) -> SigningService:
        """Built on first use, like ``screenings``: signatures re-enter the password
        (through the accounts) and read a stage as the screening service does (the same
        trial library, clock and the site's dated ULN table, read at each signature)."""
        if self._signing is None:
            from desktop.services.accounts import AccountService
            from desktop.services.signing import SigningService

            self._signing = SigningService.open(
                self.registry, self.actor or self.user, AccountService(self.registry),
                clock=self.clock, trials=self._library_trial, site_uln=self._site_table)
        return self._signing

    @property
    def worksheets(self) -> WorksheetService:
        """Built on first use: a stage version's worksheet is read as the screening
        service reads the stage (the same trial library, clock and dated ULN table)."""
        if self._worksheets is None:
            from desktop.services.worksheets import WorksheetService

            self._worksheets = WorksheetService.open(
                self.registry, self.actor or self.user, clock=self.clock,
                trials=self._library_trial, site_uln=self._site_table)
        return self._worksheets

    @property
    def lab_orders(self) -> LabOrderService:
        """The next stage's draw list, schedule warnings and lab-order sheet (the same
        trial library and clock as the screening service)."""
        from desktop.services.lab_orders import LabOrderService

        return LabOrderService.open(self.registry, self.actor or self.user, clock=self.clock,
                                    trials=self._library_trial)

    @property
    def prescreens(self) -> PrescreenService:
        """First-stage prescreens from the registry (reads only), with the library, site
        table, clock and confirm limits a completed stage is evaluated with. Raises
        ContextError if the trial library cannot be read."""
        from desktop.services.prescreening import PrescreenService

        return PrescreenService(self.registry, self.actor or self.user,
                                trials=list(self.trials.values()), site_uln=self._site_table,
                                clock=self.clock, confirm_limits=self._confirm_limits())

    @property
    def logs(self) -> LogService:
        """The screening and delegation logs as documents, for the logged-in user."""
        from desktop.services.logs import LogService

        return LogService(self.registry, self.actor or self.user, clock=self.clock)

    def _site(self) -> SiteValues:
        """The registry's site settings, read once per login."""
        if self._site_values is None:
            from desktop.services.site_settings import SiteSettingsService

            self._site_values = SiteSettingsService(self.registry).values()
        return self._site_values

    def _confirm_limits(self) -> dict[str, ConfirmLimit]:
        """The built-in "confirm below / above" values, tightened by the site's own
        (a site can add limits and tighten, never loosen, the built-in)."""
        from desktop.services.rows import DEFAULT_LIMITS, ConfirmLimit

        limits = dict(DEFAULT_LIMITS)
        for code, (below, above) in self._site().confirm.items():
            built_in = limits.get(code, ConfirmLimit())
            lows = [v for v in (below, built_in.below) if v is not None]
            highs = [v for v in (above, built_in.above) if v is not None]
            limits[code] = ConfirmLimit(below=max(lows) if lows else None,
                                        above=min(highs) if highs else None)
        return limits

    def _library_trial(self, trial_id: str) -> Trial:
        """For the repository: LookupError / TrialFileError, not ContextError."""
        from desktop.library import load_library

        if self._trials is None:
            self._trials = {t.id: t for t in load_library(self.trials_dir)}
        found = self._trials.get(trial_id)
        if found is None:
            raise LookupError(f"trial {trial_id} is not in the trial library of this "
                              f"installation")
        return found

    def _site_table(self) -> Mapping[str, Fraction]:
        """For the service, when it completes a visit: the registry's dated ULN table as
        it is now (read again: an administrator may have added a ULN since the login)."""
        from desktop.services.site_settings import SiteSettingsService

        return SiteSettingsService(self.registry).values().uln

    @property
    def trials(self) -> dict[str, Trial]:
        """The trial library by NCT id (raises ContextError naming a broken file)."""
        if self._trials is None:
            from desktop.library import TrialFileError, load_library

            try:
                self._trials = {t.id: t for t in load_library(self.trials_dir)}
            except TrialFileError as exc:
                raise ContextError(f"A trial file could not be read: {exc}") from None
        return self._trials

    def trial(self, trial_id: str) -> Trial:
        found = self.trials.get(trial_id)
        if found is None:
            raise ContextError(f"Trial {trial_id} is not in the trial library of this "
                               f"installation; its screening cannot be shown.")
        return found

    @property
    def site_uln(self) -> Mapping[str, Fraction]:
        """The site's upper limits of normal (dated; canonical units), from the registry."""
        return self._site().uln

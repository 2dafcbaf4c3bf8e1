"""Demonstration data: the ``--demo`` patients and their screenings, for training and
the README's screenshots. Never run on a site's registry unless asked for.

Re-exports the registry's seeders so that the UI starts them through the services.
"""

from __future__ import annotations

from desktop.registry.demo import demo_mrn, seed_demo
from desktop.registry.demo_screenings import seed_demo_screenings

__all__ = ["demo_mrn", "seed_demo", "seed_demo_screenings"]

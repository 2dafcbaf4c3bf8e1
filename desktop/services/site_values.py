"""Whether a data folder holds a registry, asked before the site settings are read.

Apart from :mod:`desktop.services.site_settings` (a large import) so that a headless
``evaluate`` or ``prescreen`` on a machine without a registry starts without it.
"""

from __future__ import annotations

from pathlib import Path


def has_registry(data_dir: Path) -> bool:
    from desktop.registry.location import registry_file

    return registry_file(data_dir).is_file()

"""The use cases, one module per job, under both the UI and the command line.

- ``screening``: start a screening and its stages, record results, answers, planned
  events and patient facts, complete, override and sign a visit, and the reads the
  screening windows show (``ScreeningService``).
- ``patients``: add, edit, archive, search, void and merge patients, and the MRN problems
  list (``PatientService``).
- ``accounts``, ``signing``, ``worksheets``, ``imports``: to come, one module each.

A use case opens one unit of work through a repository (``desktop.registry``), which asks
the domain for every rule and writes the audit row in the same transaction; it returns the
repository's plain row dataclasses and raises the project's own errors (``RegistryError``
and its subclasses), which each service module re-exports so that callers need not import
the registry. No Qt here.

This package imports nothing at import time: the patient list is filled before SQLAlchemy
or the engine is loaded, so each caller imports the one module it needs, when it needs it.
"""

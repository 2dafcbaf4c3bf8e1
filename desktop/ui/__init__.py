"""The Qt desktop interface: windows, dialogs and table models over the registry.

Everything here is presentation. Clinical rules and validation live in
``desktop.domain`` and ``desktop.registry``; widgets call the services
(``desktop.services``) and never a repository or a database session; only ``app`` opens
the registry. Modules import only Qt at load time so the main window can
paint before SQLAlchemy, SQLModel, Alembic or ReportLab are imported.
"""

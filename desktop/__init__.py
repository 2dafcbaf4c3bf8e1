"""NK Screen: offline eligibility screening for NK-cell therapy trials in AML.

This module stays import-light: ``nkscreen --version`` reads ``__version__``
without pulling in Qt, SQLAlchemy or ReportLab.
"""

__version__ = "0.1.0"
APP_NAME = "NK Screen"
APP_ID = "nkscreen"

"""The patient list (the main window), the patient dialog and the MRN problems list."""

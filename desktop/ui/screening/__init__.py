"""Screening a patient: the patient view, the visit form and its parts, the timeline,
the screening log."""

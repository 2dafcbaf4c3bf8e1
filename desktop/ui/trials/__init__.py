"""The trial library: each protocol's checklist by stage."""

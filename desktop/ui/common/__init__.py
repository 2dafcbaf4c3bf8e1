"""What every screen shares: the screening context, messages, background operations,
the read-only row table model, settings and small widgets."""

"""Administration: accounts (create, edit, reset, unlock, deactivate) and the delegation
of authority log (add, revoke, export), on the accounts and delegation services."""

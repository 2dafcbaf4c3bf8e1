"""Accounts and site settings (to come with accounts)."""

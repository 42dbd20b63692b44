"""Accounts: log in and out, passwords, invitations."""

"""Outgoing email: SMTP when configured, always kept in the outbox."""

"""Shared building blocks: database base, enums, permissions, text, filters, mail, CLI."""

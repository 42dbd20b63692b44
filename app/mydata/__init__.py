"""A person downloads everything the app holds about them (issue 8)."""

"""The demo organisation seeded on first run."""

"""Bulk exports in a task queue outside the web process (Huey): jobs, progress, the ZIP."""

"""Working without a signal: the service worker, the offline page, and entries synced later (issue 19)."""

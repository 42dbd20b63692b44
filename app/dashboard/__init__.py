"""The secretary's branch dashboard: who writes, who waits for review, what is not signed."""

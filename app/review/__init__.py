"""The secretary's month: review queue, comments, revision requests, sign-off, sổ vàng."""

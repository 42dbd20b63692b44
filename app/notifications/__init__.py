"""In-app notifications, email copies, and the daily reminder digests."""

"""The daily reminder digests (flask send-reminders): they read the diary, so they sit above it."""

"""The audit log: who did what to whose record, when, before and after."""

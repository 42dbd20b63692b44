"""Reports for upper units: dashboards over a subtree, commendations, exports, and the log of
who read whose diary (issue 7)."""

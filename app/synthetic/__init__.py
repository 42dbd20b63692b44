"""Synthetic organisations for benchmarks: `flask seed-bench --size small|province` (issue 9)."""

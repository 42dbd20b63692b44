"""PDF documents in the official format, their register and their public verification (issue 6)."""

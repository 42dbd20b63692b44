"""Units (đơn vị) and memberships with roles."""

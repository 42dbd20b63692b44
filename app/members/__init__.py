"""People in units: member lists, adding and inviting, roles, deactivation, imports."""

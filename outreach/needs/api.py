"""API: needs."""

"""API: visits."""

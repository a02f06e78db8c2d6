"""Audit events: who did or saw what, when."""

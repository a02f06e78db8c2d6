"""Consent: to take part, and to share information with a named organisation or contact."""

"""Organisations: operators that run programmes, health and community providers."""

"""Command-line tools for client data: import, subject access export, erasure."""

from outreach.cli import cli  # noqa: F401 - commands are added to this group

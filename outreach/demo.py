"""`outreach seed-demo`: a realistic, entirely fictional demo."""

from outreach.cli import cli  # noqa: F401 - commands are added to this group

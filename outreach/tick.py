"""`outreach tick`: run every due periodic job once (the scheduler runs the same jobs)."""

from outreach.cli import cli  # noqa: F401 - the command is added to this group

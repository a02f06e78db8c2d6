"""Users, sessions, bearer tokens and the one place that decides who may do what."""


def init_app(app) -> None:
    """Wire auth into `app`: its administration commands."""
    from outreach import cli
    from outreach.auth import cli as commands

    for command in commands.COMMANDS:
        cli.register(command)

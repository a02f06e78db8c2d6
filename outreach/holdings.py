"""Each feature declares what it holds about a client, for subject access and erasure.

Called once by the application factory, after the models are loaded: every feature that
stores rows about a client names them here (its `personal_data.declare`), in the order the
export lists them. tests/people/test_coverage.py fails, naming the table, when a table that
refers to a client is in no feature's declaration.
"""

from __future__ import annotations

_declared = False


def declare_all() -> None:
    """Ask each feature to declare its tables, once per process."""
    global _declared  # noqa: PLW0603 - the registry is the process's, like the models
    if _declared:
        return
    from outreach.care import personal_data as care
    from outreach.escalations import personal_data as escalations
    from outreach.evaluation import personal_data as evaluation
    from outreach.literacy import personal_data as literacy
    from outreach.messages import personal_data as messages
    from outreach.needs import personal_data as needs
    from outreach.selfreport import personal_data as selfreport
    from outreach.visits import personal_data as visits

    for feature in (visits, needs, care, escalations, messages, selfreport, literacy,
                    evaluation):
        feature.declare()
    _declared = True

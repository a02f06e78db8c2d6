"""The Celery entry point: `celery -A outreach.jobs.worker worker` and `... beat`.

Both read the same environment as the web application (CELERY_BROKER_URL must be set).
"""

from outreach import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]

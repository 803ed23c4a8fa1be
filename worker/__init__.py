"""The Celery application: `celery -A worker worker --beat`.

It is built from the same Flask factory as the API, so tasks share its config, models and `db`.
"""

from server import create_app

flask_app = create_app()
celery = app = flask_app.extensions["celery"]

import worker.tasks  # noqa: E402,F401 - registers the tasks

"""Every state change of the tracker, one module per area, named `<entity>_<action>`.

Views, Celery tasks and commands call these; nothing else writes tracker rows.
Services read through `tracker.queries` and the models, never import views or
Celery tasks: work for a worker is queued by task name after the transaction
commits (`tracker.services.enqueue`).
"""

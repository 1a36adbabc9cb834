"""Project plumbing: settings read from the environment, the root URLconf, the Celery app, WSGI/ASGI."""

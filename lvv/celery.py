"""The Celery application. Tasks are thin wrappers around services (see tasks.py per app)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lvv.settings")

app = Celery("lvv")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

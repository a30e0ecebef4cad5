"""Start-up checks: conditions under which the site would fail on every page, refused up front.

They are Django system checks with the ``deploy`` flag (``manage.py check --deploy`` shows
them) and the tag ``startup``; ``lvv/wsgi.py`` runs them before it serves, so gunicorn and
``runserver`` refuse to start instead of answering 500. Other management commands
(``collectstatic`` first of all) are not held up by them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

STARTUP = "startup"
MANIFEST_MISSING = "lvv.E001"


@checks.register(STARTUP, deploy=True)
def static_manifest_exists(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off, pages name static files through the manifest that collectstatic writes."""
    if settings.DEBUG:
        return []
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    if storage.manifest_storage.exists(storage.manifest_name):
        return []
    path = storage.manifest_storage.path(storage.manifest_name)
    return [
        checks.Error(
            f"The static files manifest {path} is missing, so every page would fail (500).",
            hint="Run `python manage.py collectstatic --noinput` with the same STATIC_ROOT before starting "
            "(the Docker image does this when it is built), or set STATIC_ROOT to where the files were collected.",
            id=MANIFEST_MISSING,
        )
    ]


def refuse_to_start_on_errors() -> None:
    """Run the start-up checks; any error stops the start with its message."""
    errors = [
        message for message in checks.run_checks(tags=[STARTUP], include_deployment_checks=True) if message.is_serious()
    ]
    if errors:
        lines = "\n".join(f"{message.id}: {message.msg}\n    HINT: {message.hint}" for message in errors)
        raise ImproperlyConfigured(f"The application refuses to start:\n{lines}")

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lvv.settings")
application = get_wsgi_application()

# Refuse to serve when a start-up check fails (e.g. no static manifest with DEBUG off), rather
# than answer 500 on every page. runserver loads this module too.
from lvv.runtime.checks import refuse_to_start_on_errors  # noqa: E402

refuse_to_start_on_errors()

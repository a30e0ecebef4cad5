# syntax=docker/dockerfile:1
#
# Application image for the LVV case-management system. One image serves every role;
# the command decides which: gunicorn (default), the Celery worker, Celery beat, or a
# management command such as "python manage.py migrate". See docker-compose.yml.

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=lvv.settings \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    DOCUMENTS_ROOT=/data/documents

# System libraries WeasyPrint needs to render PDFs, and a font to render them with.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# The application runs as an unprivileged user with a fixed, numeric id.
RUN groupadd --system --gid 10001 lvv \
    && useradd --system --uid 10001 --gid lvv --create-home --home-dir /home/lvv \
        --shell /usr/sbin/nologin lvv

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. requirements.lock
# pins the runtime packages exactly and only those (tests and tools are in
# requirements-dev.lock, which the image does not install; the check below makes sure).
# The project itself is not installed as a package: it runs from /app.
COPY requirements.lock ./
RUN python -m venv "$VIRTUAL_ENV" \
    && pip install -r requirements.lock \
    && python -c "import importlib.util as u; dev = [m for m in ('pytest', 'playwright', 'ruff', 'hypothesis', 'factory') if u.find_spec(m)]; assert not dev, f'development packages in the image: {dev}'"

# Source code stays owned by root: the application user can read it, not change it.
COPY . .

# Static files are collected (and compressed by whitenoise) at build time. Importing
# the settings needs a secret key and a database URL; both are dummies used only for
# this step, no database is contacted, and neither ends up in the image's environment.
RUN chmod 0755 docker/entrypoint.sh \
    && SECRET_KEY=build-only-collectstatic \
       DATABASE_URL=postgres://build:build@127.0.0.1:5432/build \
       python manage.py collectstatic --noinput \
    && python -m compileall -q . \
    && install -d -o lvv -g lvv -m 0750 "$MEDIA_ROOT" "$DOCUMENTS_ROOT"

USER 10001:10001

EXPOSE 8000

# Healthy when GET /healthz answers 200 (docker/healthcheck.py). This fits the default
# command, the web server; docker-compose.yml gives the worker and beat checks of their own.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "lvv.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]

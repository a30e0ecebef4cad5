#!/usr/bin/env bash
# Entrypoint of the application image: runs the command it is given (gunicorn by
# default, see the Dockerfile; the Celery worker and beat in docker-compose.yml).
#
# Database migrations are deliberately not run here: the one-shot "migrate" service
# does that once, so that several web or worker containers never race each other
# on a schema change.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: entrypoint.sh COMMAND [ARG...]" >&2
    exit 64
fi

# Generated documents and uploads contain personal data: not world-readable.
umask 0027

exec "$@"

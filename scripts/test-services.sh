#!/usr/bin/env bash
# Make sure the services the tests use are up: PostgreSQL and Redis on this machine,
# started when installed but stopped. Where PostgreSQL is not installed the tests use
# the embedded PostgreSQL; where Redis cannot be had the worker tests say why they skip.
set -uo pipefail

if [ -z "${DATABASE_URL:-}" ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || echo "could not start PostgreSQL; the embedded one will be used"
  fi
fi

if command -v redis-server >/dev/null; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    echo "starting Redis on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  fi
fi
exit 0

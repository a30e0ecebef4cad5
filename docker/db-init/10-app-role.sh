#!/bin/sh
# First initialisation of the database volume only (the postgres image runs the scripts in
# /docker-entrypoint-initdb.d once): the application's role, without ownership of anything.
# The owner role (POSTGRES_USER) runs the migrations and then "manage.py grant_app_role",
# which gives this role its rights: case data read and write, the access log append-only.
set -eu
app_user="${LVV_APP_DB_USER:-lvv_app}"
app_password="$(cat /run/secrets/postgres_app_password)"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_user="$app_user" -v app_password="$app_password" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
SQL

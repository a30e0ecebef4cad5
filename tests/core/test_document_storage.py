"""Where case documents are stored (``STORAGES["documents"]``): the file system by default,
an S3-compatible store when ``DOCUMENTS_S3_BUCKET`` is set, with its secret from a file as
every secret; the tests themselves write to a temporary folder. Nothing here touches a
network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages

from lvv.document_storage import documents_storage
from lvv.env import Env, SecretAwareEnviron

ROOT = Path(__file__).resolve().parents[2]


def env_of(values: dict[str, str]) -> Env:
    env = Env()
    env.ENVIRON = SecretAwareEnviron(env=values, cache=False)
    return env


def test_the_file_system_by_default():
    assert documents_storage(env_of({}), "/srv/documents") == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/srv/documents", "base_url": None},
    }


def test_s3_from_the_environment_with_the_secret_from_a_file(tmp_path):
    secret = tmp_path / "documents_s3_secret"
    secret.write_text("geheime-sleutel\n")
    config = documents_storage(
        env_of(
            {
                "DOCUMENTS_S3_BUCKET": "lvv-documenten",
                "DOCUMENTS_S3_ENDPOINT_URL": "https://s3.example.nl",
                "DOCUMENTS_S3_REGION": "nl-ams",
                "DOCUMENTS_S3_ACCESS_KEY_ID": "sleutel-id",
                "DOCUMENTS_S3_SECRET_ACCESS_KEY": "niet-deze",
                "DOCUMENTS_S3_SECRET_ACCESS_KEY_FILE": str(secret),
                "DOCUMENTS_S3_PREFIX": "productie",
                "DOCUMENTS_S3_ADDRESSING_STYLE": "path",
            }
        ),
        "/unused",
    )
    assert config == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "lvv-documenten",
            "endpoint_url": "https://s3.example.nl",
            "region_name": "nl-ams",
            "access_key": "sleutel-id",
            "secret_key": "geheime-sleutel",  # the file wins, without its line break
            "location": "productie",
            "addressing_style": "path",
            "default_acl": None,
            "querystring_auth": False,
            "file_overwrite": True,
        },
    }


def test_s3_without_credentials_leaves_them_to_boto3():
    options = documents_storage(env_of({"DOCUMENTS_S3_BUCKET": "lvv"}), "/unused")["OPTIONS"]
    assert options["bucket_name"] == "lvv"
    assert options["access_key"] is options["secret_key"] is options["endpoint_url"] is options["region_name"] is None


def test_the_settings_build_an_s3_storage_from_the_environment(tmp_path):
    """The real settings module in a fresh process: the storage object is made (no request
    goes out; django-storages connects on first use only)."""
    secret = tmp_path / "secret"
    secret.write_text("geheim")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "lvv.settings",
        "LVV_ENV_FILE": os.devnull,
        "DEBUG": "true",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "DOCUMENTS_S3_BUCKET": "lvv-documenten",
        "DOCUMENTS_S3_ENDPOINT_URL": "http://minio.local:9000",
        "DOCUMENTS_S3_ACCESS_KEY_ID": "id",
        "DOCUMENTS_S3_SECRET_ACCESS_KEY_FILE": str(secret),
        "DOCUMENT_MAX_BYTES": "1048576",
    }
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.files.storage import storages\n"
        "s = storages['documents']\n"
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.access_key, s.secret_key, s.default_acl,"
        " s.querystring_auth, settings.DOCUMENT_MAX_BYTES)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "lvv-documenten",
        "http://minio.local:9000",
        "id",
        "geheim",
        "None",
        "False",
        "1048576",
    ]


def test_tests_write_documents_to_a_temporary_folder():
    location = Path(storages["documents"].location)
    assert location == Path(settings.DOCUMENTS_ROOT) and location.is_dir()
    assert ROOT not in location.parents
    assert settings.DOCUMENT_MAX_BYTES == 25 * 1024 * 1024

"""Where case documents are stored: ``STORAGES["documents"]``, built from the environment.

By default the local file system under ``DOCUMENTS_ROOT`` (never under ``MEDIA_URL`` or
the static server: one access-checked view streams each file). With ``DOCUMENTS_S3_BUCKET``
set, any S3-compatible object store through django-storages; the secret access key may come
from a file, as every secret (``DOCUMENTS_S3_SECRET_ACCESS_KEY_FILE``, see ``lvv/env.py``).
Empty credentials leave them to boto3's own chain (an instance role, the AWS_* variables).
"""

from __future__ import annotations

from pathlib import Path

FILE_SYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
DOCUMENT_MAX_BYTES_DEFAULT = 25 * 1024 * 1024


def documents_storage(env, root: Path | str) -> dict:
    """The ``STORAGES`` entry for case documents, from ``env`` (an ``lvv.env.Env``)."""
    bucket = env.str("DOCUMENTS_S3_BUCKET", default="")
    if not bucket:
        return {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": str(root), "base_url": None}}

    def optional(name: str) -> str | None:
        return env.str(name, default="") or None

    return {
        "BACKEND": S3,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": optional("DOCUMENTS_S3_ENDPOINT_URL"),
            "region_name": optional("DOCUMENTS_S3_REGION"),
            "access_key": optional("DOCUMENTS_S3_ACCESS_KEY_ID"),
            "secret_key": optional("DOCUMENTS_S3_SECRET_ACCESS_KEY"),
            # A key prefix inside the bucket ("" : the bucket's root).
            "location": env.str("DOCUMENTS_S3_PREFIX", default=""),
            # "path" for stores that do not serve bucket names as host names (MinIO and the like).
            "addressing_style": optional("DOCUMENTS_S3_ADDRESSING_STYLE"),
            # Objects are private (the bucket's policy decides); no signed URLs are handed out:
            # the download view streams every file after its access check.
            "default_acl": None,
            "querystring_auth": False,
            # Names are random (cases.models.document_path): no existence check before a write.
            "file_overwrite": True,
        },
    }

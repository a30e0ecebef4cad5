"""Pseudonyms for persons: the same person always gets the same pseudonym, and it reveals
nothing (a keyed HMAC over the person's record id; the key is ``PSEUDONYM_KEY``)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def person_pseudonym(person_id: int | None) -> str | None:
    if person_id is None:
        return None
    digest = hmac.new(settings.PSEUDONYM_KEY.encode(), f"person:{person_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]

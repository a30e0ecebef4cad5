"""Serializer parts every app's API shares: coded values as ``{"code", "label"}``, an
organisation as the API names it, and the version a change is based on."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lvv.api.common import VERSION_HELP


class CodedValueSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Vaste code (verandert niet met de taal)."))
    label = serializers.CharField(  # type: ignore[assignment]  # a field named "label", not the serializer's own
        help_text=_("Omschrijving in de taal van het verzoek (standaard Nederlands).")
    )

    class Meta:
        ref_name = "CodedValue"


class LabelledCodeField(serializers.Field):
    """A coded value as ``{"code": ..., "label": ...}`` (null when blank), its label from
    ``labels`` (or from what that gives when called: labels that are read when needed)."""

    def __init__(self, labels: Mapping[str, Any] | Callable[[], Mapping[str, Any]], **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        self.labels = labels
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, str] | None:
        if value in ("", None):
            return None
        labels = self.labels() if callable(self.labels) else self.labels
        return {"code": str(value), "label": str(labels.get(str(value), value))}


@extend_schema_field(CodedValueSerializer(allow_null=True))
class CodedField(LabelledCodeField):
    """A choice as ``{"code": ..., "label": ...}`` (null when blank)."""

    def __init__(self, choices: Iterable[tuple[Any, Any]], **kwargs: Any) -> None:
        super().__init__(dict(choices), **kwargs)


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "OrganisationRef"


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

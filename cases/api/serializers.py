from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from cases.models import V_NUMBER_TAKEN, Case, Person, Sex, v_number_validator
from lvv.partners.models import Location, Organisation, OrganisationKind

VERSION_HELP = _(
    "Versie waarop de wijziging is gebaseerd (optimistische gelijktijdigheid). Verplicht bij wijzigen, "
    "tenzij de header If-Match is meegestuurd. Een verouderde versie geeft 409."
)


class PersonSerializer(serializers.ModelSerializer):
    v_number = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        validators=[v_number_validator, UniqueValidator(queryset=Person.objects.all(), message=V_NUMBER_TAKEN)],
    )
    nationality = CountryField(required=False, allow_blank=True, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "v_number",
            "family_name",
            "given_names",
            "birth_date",
            "sex",
            "nationality",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "version": {"required": False, "help_text": VERSION_HELP},
        }


class CaseSerializer(serializers.ModelSerializer):
    location = serializers.SlugRelatedField(slug_field="slug", queryset=Location.objects.all())
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.none())
    person_name = serializers.CharField(source="person.full_name", read_only=True)
    assigned_ngo = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.NGO), required=False, allow_null=True
    )
    health_notes = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Bijzonder persoonsgegeven: alleen aanwezig voor wie de extra autorisatie heeft."),
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "person",
            "person_name",
            "location",
            "assigned_ngo",
            "external_id",
            "health_notes",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"version": {"required": False, "help_text": VERSION_HELP}}
        # Uniqueness of (location, external_id) is checked by the service with a field-level message.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["person"].queryset = Person.objects.visible_to(request.user)
        if self.instance is not None and not isinstance(self.instance, Case):
            return
        if isinstance(self.instance, Case):
            # On update the person and the LVV of a case do not change.
            self.fields["person"].read_only = True
            self.fields["location"].read_only = True

    def to_representation(self, instance):
        data = super().to_representation(instance)
        checker = self.context.get("special_category")
        if checker is None or not checker(instance):
            data.pop("health_notes", None)
        return data

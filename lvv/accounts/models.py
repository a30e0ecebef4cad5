"""Users: each belongs to one organisation and holds one or more roles; their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from lvv.accounts.fields import ChoiceArrayField
from lvv.partners.models import Organisation, OrganisationKind


class Role(models.TextChoices):
    CASEMANAGER = "casemanager", _("Casemanager gemeente")
    NGO = "ngo", _("Begeleider ngo")
    LSO_CHAIR = "lsochair", _("Voorzitter LSO")
    DTV = "dtv", _("Regievoerder DT&V")
    IND = "ind", _("Medewerker IND")
    BUREAU = "bureau", _("Programmabureau")
    ADMIN = "admin", _("Functioneel beheerder")
    # The municipality's privacy officer: reads the access log of the municipality's LVVs
    # and answers subject access requests; sees no case otherwise.
    PRIVACY_OFFICER = "privacy_officer", _("Privacyfunctionaris")


# Which organisation kind each role belongs to (a case worker works for a municipality...).
ROLE_ORGANISATION_KINDS: dict[str, set[str]] = {
    Role.CASEMANAGER: {OrganisationKind.MUNICIPALITY},
    Role.LSO_CHAIR: {OrganisationKind.MUNICIPALITY},
    Role.NGO: {OrganisationKind.NGO},
    Role.DTV: {OrganisationKind.DTV},
    Role.IND: {OrganisationKind.IND},
    Role.BUREAU: {OrganisationKind.PROGRAMME_BUREAU},
    Role.ADMIN: set(OrganisationKind.values),
    Role.PRIVACY_OFFICER: {OrganisationKind.MUNICIPALITY},
}

ROLE_MISMATCH = _("De rol “%(role)s” past niet bij een organisatie van het soort “%(kind)s”.")
ROLE_NEEDS_ORGANISATION = _("Een gebruiker met een rol hoort bij een organisatie.")


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        verbose_name=_("organisatie"),
    )
    roles = ChoiceArrayField(
        models.CharField(max_length=20, choices=Role.choices),
        default=list,
        blank=True,
        verbose_name=_("rollen"),
    )
    daily_digest = models.BooleanField(_("dagelijkse e-mail met termijnen"), default=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("gebruiker")
        verbose_name_plural = _("gebruikers")
        indexes = [models.Index(fields=["organisation"])]

    def clean(self) -> None:
        super().clean()
        case_roles = [r for r in self.roles if r != Role.ADMIN]
        if case_roles and self.organisation is None:
            raise ValidationError({"organisation": ROLE_NEEDS_ORGANISATION})
        for role in case_roles:
            if self.organisation.kind not in ROLE_ORGANISATION_KINDS[role]:
                raise ValidationError(
                    {"roles": ROLE_MISMATCH % {"role": Role(role).label, "kind": self.organisation.get_kind_display()}}
                )

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles if r in Role.values]


class ApiToken(AbstractAuthToken):
    """A key for ``Authorization: Token <key>`` (django-rest-knox).

    The key itself is never stored: only its SHA-512 digest and its first characters (to find
    the row and to tell tokens apart on the page). Every token expires; revoking it deletes it.
    """

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    token_key = models.CharField(
        _("begin van de sleutel"),
        max_length=CONSTANTS.MAXIMUM_TOKEN_PREFIX_LENGTH + CONSTANTS.TOKEN_KEY_LENGTH,
        db_index=True,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="auth_token_set",
        verbose_name=_("gebruiker"),
    )
    name = models.CharField(_("omschrijving"), max_length=100, blank=True)
    created = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    expiry = models.DateTimeField(_("verloopt"))

    class Meta:
        verbose_name = _("API-token")
        verbose_name_plural = _("API-tokens")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.token_key}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expiry <= timezone.now()

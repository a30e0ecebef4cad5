"""The access log (BIO 8.15.01): who did what to which object, when, from where.

It is also the processing log (Logboek Dataverwerkingen): every row names its processing
activity (``lvv.audit.activities``) and is sealed into a hash chain (``lvv.audit.chain``).

Rows are append-only: the model refuses updates and deletes, the admin offers neither, and
database triggers reject DELETE, TRUNCATE, and every UPDATE except the one that seals a row
(sets ``chain_seq`` and ``chain_hash`` once, nothing else). In production the application's
database role has no UPDATE (except on those two columns), DELETE or TRUNCATE rights on the
table at all (``manage.py grant_app_role``; ADR 0014).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lvv.accounts.fields import user_reference
from lvv.partners.models import organisation_reference


class AccessAction(models.TextChoices):
    VIEW = "view", _("bekeken")
    LIST = "list", _("lijst bekeken")
    CREATE = "create", _("aangemaakt")
    UPDATE = "update", _("gewijzigd")
    EXPORT = "export", _("geëxporteerd")
    LOGIN = "login", _("ingelogd")
    LOGIN_FAILED = "login_failed", _("inloggen mislukt")
    LOGOUT = "logout", _("uitgelogd")
    RETENTION = "retention", _("bewaartermijn toegepast")


class Result(models.TextChoices):
    ALLOWED = "allowed", _("toegestaan")
    DENIED = "denied", _("geweigerd")
    INVALID = "invalid", _("ongeldige invoer")
    CONFLICT = "conflict", _("conflict (verouderde versie)")


class Channel(models.TextChoices):
    WEB = "web", _("webpagina")
    API = "api", _("API")
    COMMAND = "command", _("opdrachtregel")
    TASK = "task", _("achtergrondtaak")


class AppendOnlyError(Exception):
    pass


class AccessLogEntry(models.Model):
    timestamp = models.DateTimeField(_("tijdstip"), default=timezone.now, db_index=True)
    actor = user_reference(_("actor"))
    actor_username = models.CharField(_("gebruikersnaam"), max_length=150, blank=True)
    action = models.CharField(_("actie"), max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(_("soort object"), max_length=100, blank=True)
    object_id = models.CharField(_("object-id"), max_length=64, blank=True)
    result = models.CharField(_("resultaat"), max_length=20, choices=Result.choices)
    channel = models.CharField(_("kanaal"), max_length=10, choices=Channel.choices)
    ip_address = models.GenericIPAddressField(_("herkomst (IP)"), null=True, blank=True)
    detail = models.JSONField(_("details"), default=dict, blank=True)
    # The processing activity this row belongs to (lvv.audit.activities.ACTIVITIES) and the
    # organisation the actor worked for at the time.
    processing_activity = models.CharField(_("verwerkingsactiviteit"), max_length=40, blank=True)
    actor_organisation = organisation_reference(_("organisatie"))
    # The case the row is about (its id; not a foreign key: the row outlives the case's data),
    # for the privacy officer's views and the export's data subject.
    about_case = models.BigIntegerField(_("over casus"), null=True, blank=True)
    # The hash chain: set once by lvv.audit.chain.seal, in the order rows are sealed.
    chain_seq = models.BigIntegerField(_("volgnummer keten"), null=True, blank=True, unique=True, editable=False)
    chain_hash = models.CharField(_("ketenhash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("toegangslogregel")
        verbose_name_plural = _("toegangslog")
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-timestamp"], name="accesslog_object"),
            models.Index(fields=["actor", "-timestamp"], name="accesslog_actor"),
            models.Index(fields=["id"], name="accesslog_unsealed", condition=models.Q(chain_seq__isnull=True)),
            models.Index(fields=["about_case", "-timestamp"], name="accesslog_case"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.timestamp:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Access log rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Access log rows cannot be deleted.")

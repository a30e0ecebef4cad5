"""Snapshots of the monitor (figures frozen at a reference date) and export jobs.

A snapshot starts as a draft and may be published; a published snapshot never changes:
the model refuses to save or delete it, its queryset refuses bulk updates and deletes,
and a database trigger refuses UPDATE and DELETE of a published row whatever the client.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lvv.accounts.fields import user_reference
from lvv.jobs import JobRun
from lvv.validation import CheapValidation

SNAPSHOT_PUBLISHED = _("Een gepubliceerde momentopname verandert nooit.")


class PublishedSnapshotError(Exception):
    """A change to a published snapshot was refused."""

    def __init__(self, message=SNAPSHOT_PUBLISHED):
        super().__init__(str(message))


class SnapshotKind(models.TextChoices):
    MANUAL = "manual", _("handmatig")
    MONTHLY = "monthly", _("maandelijks (automatisch)")


class SnapshotQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def drafts(self):
        return self.filter(published_at__isnull=True)

    def update(self, **kwargs):
        if self.published().exists():
            raise PublishedSnapshotError
        return super().update(**kwargs)

    def delete(self):
        if self.published().exists():
            raise PublishedSnapshotError
        return super().delete()


class Snapshot(models.Model):
    """The figures (``monitor.figures.figures``) at a reference date for a scope, frozen."""

    reference_date = models.DateField(_("peildatum"))
    scope = ArrayField(models.SlugField(max_length=50), verbose_name=_("LVV's"), help_text=_("Codes, op volgorde."))
    all_locations = models.BooleanField(_("alle LVV's"), default=False)
    kind = models.CharField(_("soort"), max_length=10, choices=SnapshotKind.choices, default=SnapshotKind.MANUAL)
    data = models.JSONField(_("cijfers"))
    note = models.CharField(_("toelichting"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("gemaakt op"), default=timezone.now)
    created_by = user_reference()
    published_at = models.DateTimeField(_("gepubliceerd op"), null=True, blank=True)
    published_by = user_reference()
    # The task that took it (``monitor.tasks.take_snapshot``): a second run of the same
    # task finds its snapshot instead of taking another.
    task_id = models.CharField(_("taak"), max_length=64, blank=True, editable=False)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("momentopname")
        verbose_name_plural = _("momentopnamen")
        ordering = ["-reference_date", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_date", "scope"],
                condition=Q(kind="monthly"),
                name="snapshot_one_monthly_per_date_and_scope",
            ),
            models.UniqueConstraint(fields=["task_id"], condition=~Q(task_id=""), name="snapshot_one_per_task"),
        ]
        indexes = [models.Index(fields=["-reference_date", "-created_at"], name="snapshot_newest")]

    def __str__(self) -> str:
        return f"{_('Momentopname')} {self.reference_date:%Y-%m-%d} ({', '.join(self.scope)})"

    def save(self, *args, **kwargs):
        if not self._state.adding and self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("published_at", flat=True).first()
            if stored is not None:
                raise PublishedSnapshotError
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk is not None and type(self).objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise PublishedSnapshotError
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ExportFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    PDF = "pdf", _("PDF-rapport")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("in de wachtrij")
    RUNNING = "running", _("bezig")
    DONE = "done", _("klaar")
    FAILED = "failed", _("mislukt")


def new_storage_key() -> str:
    return secrets.token_urlsafe(16)


def export_path(job: ExportJob, name: str) -> str:
    """``monitor/exports/<key>/<name>``: a folder of the job's own, not guessable, served
    only to the requester. The key is fixed when the job is made, so that a rerun after a
    crash replaces what the crashed run left instead of adding a second file."""
    return f"monitor/exports/{job.storage_key or new_storage_key()}/{name}"


class ExportJob(CheapValidation, JobRun):
    """A file of the monitor built in the background (``monitor.tasks.build_export``).

    Claimed, kept alive and swept by ``lvv.jobs``: ``attempts`` counts the runs that took
    it, ``task_id`` is the task that holds it, ``heartbeat_at`` the last sign of life.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="monitor_exports", verbose_name=_("aanvrager")
    )
    format = models.CharField(_("formaat"), max_length=10, choices=ExportFormat.choices)
    parameters = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("voortgang (%)"), default=0, validators=[MaxValueValidator(100)])
    file = models.FileField(_("bestand"), upload_to=export_path, blank=True, max_length=300)
    error = models.TextField(_("foutmelding"), blank=True)
    created_at = models.DateTimeField(_("aangevraagd op"), default=timezone.now)
    storage_key = models.CharField(_("map"), max_length=32, default=new_storage_key, editable=False)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="exportjob_progress_at_most_100"),
        ]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="exportjob_requester_newest")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.parameters.get('reference_date', '')} ({self.get_status_display()})"

    @property
    def is_ready(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file)

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""


class DataChange(models.Model):
    """One committed transaction that wrote records the monitor reads (``monitor.cache``).

    Written only by the database: a statement-level trigger on each of those tables
    (``monitor.cache.WATCHED_MODELS``) adds one row per transaction, and now and then folds
    the older rows into one whose ``weight`` is their number. The sum of the weights grows
    with every committed change and never repeats, so it dates the records a cached
    figure was computed from."""

    weight = models.BigIntegerField(default=1)

    class Meta:
        verbose_name = _("wijziging van de gegevens")
        verbose_name_plural = _("wijzigingen van de gegevens")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.pk} ({self.weight})"

"""Export jobs: requested through the service, built by the task with progress, and the
file served to its requester only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from monitor import exports, services
from monitor.downloads import download_export
from monitor.models import ExportFormat, ExportJob, ExportStatus
from tests.factories import UserFactory
from tests.monitor.builders import DAY, D, build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def request_export(user, **kwargs):
    kwargs.setdefault("fmt", "csv")
    kwargs.setdefault("reference_date", D)
    return services.request_export(acting_user=user, origin=COMMAND, **kwargs)


def download(user, pk):
    request = RequestFactory().get(f"/monitor/exports/{pk}/download/")
    request.user = user
    return download_export(request, pk)


def test_an_export_is_built_with_progress_and_served_to_its_requester(world, django_capture_on_commit_callbacks):
    build(world.ams.location, sheltered=D - 10 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(world.bureau, fmt="xlsx", suppress_small=True)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.progress == 100 and job.error == ""
    assert job.parameters == {
        "reference_date": D.isoformat(),
        "locations": ["amsterdam", "rotterdam"],
        "suppress_small": True,
        "trends_start": None,
        "language": "nl",
    }
    assert job.filename == "monitor-2020-06-15-amsterdam-rotterdam.xlsx"
    response = download(world.bureau, job.pk)
    body = b"".join(response.streaming_content)
    assert response["Content-Disposition"].startswith('attachment; filename="monitor-2020-06-15')
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    back = exports.parse_xlsx(body)
    assert back["figures"]["locations"]["amsterdam"]["present"] == "<5"
    assert AccessLogEntry.objects.filter(action="export", object_id=str(job.pk), result="allowed").count() == 2


def test_progress_is_written_while_the_file_is_built(world, monkeypatch):
    job = ExportJob.objects.create(
        requested_by=world.bureau, format="pdf", parameters={"reference_date": D.isoformat(), "locations": []}
    )
    progress = []
    real = exports.build_report

    def spy(*args, **kwargs):
        report_progress = kwargs["progress"]

        def record(percent):
            report_progress(percent)
            progress.append(ExportJob.objects.get(pk=job.pk).progress)

        kwargs["progress"] = record
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "build_report", spy)
    services.run_export(job.pk)
    job.refresh_from_db()
    assert progress == sorted(progress) and len(progress) >= 4 and all(0 < p < 100 for p in progress)
    assert job.status == ExportStatus.DONE and job.progress == 100
    assert job.file.read().startswith(b"%PDF")
    assert services.run_export(job.pk) is None  # done: safe to run twice


def test_only_the_requester_gets_the_file(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(world.ams.users[Role.CASEMANAGER])
    job.refresh_from_db()
    assert job.parameters["locations"] == ["amsterdam"]
    assert download(world.ams.users[Role.CASEMANAGER], job.pk).status_code == 200
    for other in (
        world.bureau,
        world.ams.users[Role.LSO_CHAIR],
        world.rot.users[Role.CASEMANAGER],
        world.ams.users[Role.NGO],
        AnonymousUser(),
    ):
        with pytest.raises(Http404):
            download(other, job.pk)
    with pytest.raises(Http404):
        download(world.ams.users[Role.CASEMANAGER], job.pk + 1000)
    assert AccessLogEntry.objects.filter(action="export", result="denied").count() == 6


def test_a_job_not_ready_is_not_served(world):
    job = request_export(world.bureau)  # no on_commit in this test: still pending
    assert job.status == ExportStatus.PENDING and job.progress == 0
    with pytest.raises(Http404):
        download(world.bureau, job.pk)


def test_a_requester_who_lost_access_gets_nothing(world, django_capture_on_commit_callbacks):
    casemanager = world.ams.users[Role.CASEMANAGER]
    job = request_export(casemanager)
    casemanager.roles = [Role.NGO]
    casemanager.save()
    services.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == str(services.SCOPE_LOST) and not job.file
    with pytest.raises(Http404):
        download(casemanager, job.pk)


def test_a_failing_build_fails_the_job_with_a_message(world, monkeypatch):
    job = request_export(world.bureau, fmt="pdf")

    def broken(report, fmt):
        raise RuntimeError("boom")

    monkeypatch.setattr(exports, "render", broken)
    services.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == str(services.EXPORT_FAILED)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fmt": "docx"}, "format"),
        ({"reference_date": "2020-13-01"}, "reference_date"),
        ({"reference_date": "2999-01-01"}, "reference_date"),
        ({"trends_start": "2020-07-01"}, "trends_start"),
        ({"locations": ["rotterdam"]}, "lvv"),
    ],
)
def test_bad_requests_are_field_errors(world, kwargs, field):
    with pytest.raises(ValidationError) as error:
        request_export(world.ams.users[Role.CASEMANAGER], **kwargs)
    assert field in error.value.message_dict
    assert not ExportJob.objects.exists()


def test_users_without_figures_cannot_request(world):
    for user in (world.ams.users[Role.NGO], world.ams.users[Role.IND], world.ams.users[Role.DTV]):
        with pytest.raises(PermissionDenied):
            request_export(user)


def test_each_user_lists_only_their_own_exports(world):
    mine = request_export(world.bureau)
    request_export(world.ams.users[Role.CASEMANAGER])
    assert list(services.exports_for(world.bureau)) == [mine]
    assert list(services.exports_for(AnonymousUser())) == []


def test_the_admin_shows_a_job_read_only_in_its_order_without_the_file(client):
    user = UserFactory(username="beheer", is_staff=True, is_superuser=True)
    job = ExportJob.objects.create(requested_by=user, format=ExportFormat.values[0], attempts=1, task_id="t-1")
    client.force_login(user)
    page = client.get(reverse("admin:monitor_exportjob_change", args=[job.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    labels = ["aanvrager", "formaat", "status", "aangevraagd op", "gestart op", "pogingen", "taak"]
    positions = [text.lower().index(f"<label>{label}:</label>") for label in labels]
    assert positions == sorted(positions)  # the job's own fields first, then those of lvv.jobs.JobRun
    assert "storage_key" not in text and "<label>bestand:</label>" not in text.lower()
    assert 'name="task_id"' not in text  # shown, not editable

"""The monitor's pages: dashboard, snapshots, exports and the data-quality panel."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from lvv.accounts.models import Role
from monitor import quality
from monitor.forms import SAME_SNAPSHOT, TRENDS_END_BEFORE_START
from monitor.models import ExportJob, ExportStatus, Snapshot
from monitor.services import DATE_IN_FUTURE
from tests.monitor.builders import DAY, D, build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

CASE_LINK = re.compile(r'href="/cases/\d+/')


def url(name, **kwargs):
    return reverse(f"monitor:{name}", kwargs=kwargs or None)


def get(client, user, path, **params):
    client.force_login(user)
    return client.get(path, params)


def dashboard_at(client, user, d=D, **params):
    return get(client, user, url("dashboard"), date=d.isoformat(), **params)


def cells(response, table_id: str, row_label: str) -> list[str]:
    """The cells of a row of a table on the page (the row's header is ``row_label``)."""
    html = response.content.decode()
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S):
        header = re.search(r"<th[^>]*>(.*?)</th>", row, flags=re.S)
        if header and re.sub(r"<[^>]+>", "", header.group(1)).strip() == row_label:
            return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
    raise AssertionError(f"no row {row_label!r} in {table_id}")


# --- access ------------------------------------------------------------------------------------

PAGES = [
    ("dashboard", {}),
    ("quality", {}),
    ("snapshots", {}),
    ("snapshot-compare", {}),
    ("exports", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_users_go_to_the_login_page(client, world, name, kwargs):
    response = client.get(url(name, **kwargs))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [Role.NGO, "ngo_b", Role.IND, Role.DTV])
@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_partners_who_read_no_figures_get_404(client, world, role, name, kwargs):
    assert get(client, world.ams.users[role], url(name, **kwargs)).status_code == 404


@pytest.mark.parametrize("role", [Role.NGO, Role.IND, Role.DTV])
def test_partners_get_404_on_snapshots_and_exports_too(client, world, role):
    snapshot = _snapshot(world.bureau)
    job = ExportJob.objects.create(requested_by=world.bureau, format="csv", parameters={})
    user = world.ams.users[role]
    client.force_login(user)
    assert client.get(url("snapshot", pk=snapshot.pk)).status_code == 404
    assert client.post(url("snapshot-publish", pk=snapshot.pk)).status_code == 404
    assert client.get(url("export", pk=job.pk)).status_code == 404
    assert client.get(url("export-download", pk=job.pk)).status_code == 404
    assert client.post(url("exports"), {"format": "csv", "date": D.isoformat()}).status_code == 404


def test_the_nav_offers_the_monitor_to_those_who_read_figures(client, world):
    link = f'href="{url("dashboard")}"'
    assert link in get(client, world.bureau, "/").content.decode()
    assert link in get(client, world.ams.users[Role.CASEMANAGER], "/").content.decode()
    assert link not in get(client, world.ams.users[Role.NGO], "/").content.decode()


# --- dashboard ---------------------------------------------------------------------------------


def test_the_bureau_sees_every_lvv_and_the_total_and_never_a_person(client, world):
    build(world.ams.location, sheltered=D - 10 * DAY)
    build(world.rot.location, sheltered=D - 5 * DAY)
    build(world.rot.location, sheltered=D - 5 * DAY, outflow=(D - DAY, "departure_origin"))
    build(world.rot.location, sheltered=D, exception=True)  # outside the covenant
    response = dashboard_at(client, world.bureau)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 november 2020" not in html and "15 juni 2020" in html
    assert cells(response, "table-figures", "In de opvang") == ["1", "1", "2"]
    assert cells(response, "table-figures", "Ooit in de opvang") == ["1", "2", "3"]
    assert cells(response, "table-figures", "Uitstroom: vertrek naar land van herkomst") == ["0", "1", "1"]
    assert cells(response, "table-outside", "Buiten het convenant: in de opvang") == ["0", "1", "1"]
    assert "LVV Amsterdam" in html and "LVV Rotterdam" in html
    assert not CASE_LINK.search(html)
    for person in Case.objects.select_related("person"):
        assert person.person.family_name not in html


def test_the_dashboard_shows_charts_each_with_a_data_table(client, world):
    build(world.ams.location, sheltered=D - 40 * DAY, outflow=(D - DAY, "asylum_centre"))
    html = dashboard_at(client, world.bureau).content.decode()
    svgs = re.findall(r"<svg[^>]*>", html)
    assert len(svgs) >= 11  # occupancy, outcomes, 3 trends, 6 breakdowns, durations
    for svg in svgs:
        assert 'role="img"' in svg and "aria-labelledby" in svg
    assert html.count("<title id=") == len(svgs) and html.count("<desc id=") == len(svgs)
    for table in [
        "table-occupancy",
        "table-outcomes",
        "table-trend-present",
        "table-trend-flow",
        "table-trend-outflow",
        "table-breakdown-case_type",
        "table-breakdown-nationality",
        "table-durations",
        "table-quality",
    ]:
        assert f'id="{table}"' in html
    assert "<script" not in html.split("</head>", 1)[1]
    assert ' style="' not in html


def test_a_municipality_user_sees_only_its_own_lvv(client, world):
    build(world.ams.location, sheltered=D - 10 * DAY)
    build(world.rot.location, sheltered=D - 10 * DAY)
    build(world.rot.location, sheltered=D - 10 * DAY)
    for user in (world.ams.users[Role.CASEMANAGER], world.ams.users[Role.LSO_CHAIR]):
        response = dashboard_at(client, user, lvv="rotterdam")
        html = response.content.decode()
        assert response.status_code == 200
        assert "LVV Amsterdam" in html and "LVV Rotterdam" not in html
        assert cells(response, "table-figures", "In de opvang") == ["1", "1"]


def test_the_bureau_can_narrow_to_one_lvv(client, world):
    build(world.rot.location, sheltered=D - 10 * DAY)
    response = dashboard_at(client, world.bureau, lvv="rotterdam")
    assert cells(response, "table-figures", "In de opvang") == ["1", "1"]
    assert "LVV Amsterdam" not in response.content.decode().split('id="table-figures"')[1].split("</table>")[0]


def test_the_date_defaults_to_today_and_trends_to_the_last_twelve_months(client, world):
    response = get(client, world.bureau, url("dashboard"))
    today = timezone.localdate()
    form = response.context["form"]
    assert form["date"].value() == today and form["trends_start"].value() is None
    assert response.context["trends_end"] == today
    assert len(response.context["trends"][0][1].rows) == 12


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date": "2999-01-01"}, "date", DATE_IN_FUTURE),
        ({"date": "1-11-2020x"}, "date", "Voer een geldige datum in."),
        ({"date": D.isoformat(), "trends_start": "2020-06-01", "trends_end": "2020-01-01"}, "trends_end", None),
        ({"lvv": "utrecht"}, "lvv", None),
    ],
)
def test_bad_input_is_a_field_error_and_keeps_what_was_typed(client, world, params, field, message):
    response = get(client, world.bureau, url("dashboard"), **params)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert str(message) in form.errors[field]
    if field == "trends_end":
        assert str(TRENDS_END_BEFORE_START) in form.errors[field]
    for key, value in params.items():
        assert str(form[key].value()) == value
    assert "table-figures" not in response.content.decode()


def test_the_dashboard_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for n in range(3):
        build(world.ams.location, sheltered=D - (n + 5) * DAY, scenarios=[(D - DAY, "departure")] if n else ())
    client.force_login(world.bureau)
    path = url("dashboard")
    # (One of them reads the data version; with the analyses in the cache, far fewer.)
    with django_assert_max_num_queries(27) as few:
        client.get(path, {"date": D.isoformat()})
    for n in range(12):
        build(
            world.rot.location,
            sheltered=D - (n + 5) * DAY,
            outflow=(D - DAY, "departure_origin") if n % 2 else None,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(path, {"date": D.isoformat()})


# --- data quality ------------------------------------------------------------------------------


@pytest.fixture
def findings(world):
    """One case per finding in Amsterdam, one in Rotterdam."""
    today = timezone.localdate()
    no_admission = build(world.ams.location, sheltered=today - 20 * DAY, case_types=["family"])
    # An imported record: shelter without the admission decision.
    Case.objects.filter(pk=no_admission.pk).update(decided_on=None)
    unconfirmed = build(
        world.ams.location,
        sheltered=today - 90 * DAY,
        case_types=["family"],
        outflow=(today - 31 * DAY, "residence_granted"),
    )
    recent = build(
        world.ams.location,
        sheltered=today - 90 * DAY,
        case_types=["family"],
        outflow=(today - 5 * DAY, "departure_origin"),
    )
    no_types = build(world.ams.location, sheltered=today - 3 * DAY)
    rot = build(world.rot.location, sheltered=today - 3 * DAY)
    return {
        "no_admission": no_admission,
        "unconfirmed": unconfirmed,
        "recent": recent,
        "no_types": no_types,
        "rot": rot,
    }


def test_quality_counts_per_lvv(world, findings, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = quality.counts([world.ams.location, world.rot.location], timezone.localdate())
    ams = counts["locations"]["amsterdam"]
    assert ams["sheltered_without_admission"] == 1
    assert ams["outflow_unconfirmed"] == 1  # the recent departure is not late yet
    assert ams["missing_case_types"] == 1
    assert counts["locations"]["rotterdam"]["missing_case_types"] == 1
    assert counts["total"]["missing_case_types"] == 2


def test_the_bureau_sees_counts_only(client, world, findings):
    response = get(client, world.bureau, url("quality"))
    html = response.content.decode()
    assert response.status_code == 200
    assert cells(response, "table-quality", str(quality.CHECK_LABELS["missing_case_types"])) == ["1", "1", "2"]
    assert response.context["page"] is None
    assert not CASE_LINK.search(html)
    assert findings["no_types"].person.family_name not in html


def test_a_case_worker_sees_its_own_cases_with_links(client, world, findings):
    worker = world.ams.users[Role.CASEMANAGER]
    # "No case type" is listed only for a reader of the special case types (test_special_case_types).
    worker.user_permissions.add(Permission.objects.get(codename="view_special_category"))
    response = get(client, worker, url("quality"))
    html = response.content.decode()
    listed = {case.pk for case in response.context["page"].object_list}
    assert listed == {findings["no_admission"].pk, findings["unconfirmed"].pk, findings["no_types"].pk}
    assert f'href="/cases/{findings["no_types"].pk}/"' in html
    assert f"/cases/{findings['rot'].pk}/" not in html
    assert "LVV Rotterdam" not in html


def test_the_quality_panel_runs_a_fixed_number_of_queries(client, world, findings, django_assert_max_num_queries):
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    with django_assert_max_num_queries(20) as few:
        client.get(url("quality"))
    for _n in range(5):
        build(world.ams.location, sheltered=timezone.localdate() - 3 * DAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("quality"))


# --- snapshots ---------------------------------------------------------------------------------


def _snapshot(user, d=D, **kwargs):
    from lvv.audit.log import COMMAND
    from monitor.services import take_snapshot

    return take_snapshot(acting_user=user, origin=COMMAND, reference_date=d, **kwargs)


def test_the_bureau_takes_publishes_and_compares_snapshots(client, world):
    build(world.ams.location, sheltered=D - 10 * DAY)
    client.force_login(world.bureau)
    response = client.post(url("snapshots"), {"reference_date": D.isoformat(), "note": "Juni"})
    assert response.status_code == 302
    first = Snapshot.objects.get()
    assert first.scope == ["amsterdam", "rotterdam"] and first.note == "Juni" and not first.is_published

    build(world.ams.location, sheltered=D + DAY)
    client.post(url("snapshots"), {"reference_date": (D + 2 * DAY).isoformat(), "publish": "on"})
    second = Snapshot.objects.exclude(pk=first.pk).get()
    assert second.is_published

    page = client.get(url("snapshots"))
    assert page.status_code == 200 and len(page.context["page"].object_list) == 2
    assert client.get(url("snapshot", pk=first.pk)).status_code == 200

    assert client.post(url("snapshot-publish", pk=first.pk)).status_code == 302
    first.refresh_from_db()
    assert first.is_published

    response = client.get(url("snapshot-compare"), {"old": first.pk, "new": second.pk})
    assert response.status_code == 200
    html = response.content.decode()
    row = cells(response, "table-compare-amsterdam", "In de opvang (gewijzigd)")
    assert row == ["1", "2", "+1"]
    assert 'data-changed="true"' in html
    assert cells(response, "table-compare-rotterdam", "In de opvang") == ["0", "0", "0"]


def test_comparing_a_snapshot_with_itself_is_a_field_error(client, world):
    snapshot = _snapshot(world.bureau)
    response = get(client, world.bureau, url("snapshot-compare"), old=snapshot.pk, new=snapshot.pk)
    assert str(SAME_SNAPSHOT) in response.context["form"].errors["new"]


def test_a_future_snapshot_date_is_a_field_error(client, world):
    client.force_login(world.bureau)
    response = client.post(url("snapshots"), {"reference_date": "2999-01-01"})
    assert response.status_code == 200
    assert str(DATE_IN_FUTURE) in response.context["form"].errors["reference_date"]
    assert response.context["form"]["reference_date"].value() == "2999-01-01"
    assert not Snapshot.objects.exists()


def test_a_case_worker_snapshots_its_own_lvv_and_cannot_publish(client, world):
    national = _snapshot(world.bureau)
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    client.post(url("snapshots"), {"reference_date": D.isoformat(), "publish": "on"})
    own = Snapshot.objects.exclude(pk=national.pk).get()
    assert own.scope == ["amsterdam"] and not own.is_published
    page = client.get(url("snapshots"))
    assert [s.pk for s in page.context["page"].object_list] == [own.pk]
    assert "publish" not in page.context["form"].fields
    assert client.get(url("snapshot", pk=national.pk)).status_code == 404
    response = client.post(url("snapshot-publish", pk=own.pk))
    assert response.status_code == 403
    own.refresh_from_db()
    assert not own.is_published
    # Another LVV's case worker does not see it.
    client.force_login(world.rot.users[Role.CASEMANAGER])
    assert client.get(url("snapshot", pk=own.pk)).status_code == 404


# --- exports -----------------------------------------------------------------------------------


def test_an_export_is_requested_shows_progress_and_is_downloaded(client, world, django_capture_on_commit_callbacks):
    build(world.ams.location, sheltered=D - 10 * DAY)
    client.force_login(world.bureau)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("exports"), {"format": "csv", "date": D.isoformat(), "suppress_small": "on"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == url("export", pk=job.pk)
    assert job.parameters["suppress_small"] is True and job.parameters["locations"] == ["amsterdam", "rotterdam"]

    # Before the task ran: the page polls every two seconds and offers a plain reload link.
    pending = client.get(url("export", pk=job.pk))
    html = pending.content.decode()
    assert 'hx-trigger="every 2s"' in html and "Voortgang bijwerken" in html and "<progress" in html
    partial = client.get(url("export", pk=job.pk), headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and 'id="export-status"' in partial.content.decode()

    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    done = client.get(url("export", pk=job.pk), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and url("export-download", pk=job.pk) in done
    download = client.get(url("export-download", pk=job.pk))
    body = b"".join(download.streaming_content).decode("utf-8")
    assert download.status_code == 200 and body.startswith("\ufeffPeildatum;LVV;")
    assert "<5" in body

    # Nobody else sees or downloads it.
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert client.get(url("export", pk=job.pk)).status_code == 404
    assert client.get(url("export-download", pk=job.pk)).status_code == 404


def test_a_case_worker_exports_its_own_lvv_only(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("exports"), {"format": "xlsx", "date": D.isoformat(), "lvv": "rotterdam"})
    job = ExportJob.objects.get()
    assert job.parameters["locations"] == ["amsterdam"]


def test_a_bad_export_request_is_refused_without_a_job(client, world):
    client.force_login(world.bureau)
    response = client.post(url("exports"), {"format": "exe", "date": "2999-01-01"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"format", "date"}
    assert not ExportJob.objects.exists()


def test_the_exports_page_lists_only_ones_own(client, world):
    ExportJob.objects.create(requested_by=world.bureau, format="csv", parameters={"reference_date": "2020-06-15"})
    ExportJob.objects.create(
        requested_by=world.ams.users[Role.CASEMANAGER], format="pdf", parameters={"reference_date": "2020-06-15"}
    )
    response = get(client, world.bureau, url("exports"))
    assert [job.format for job in response.context["page"].object_list] == ["csv"]
    assert "15 juni 2020" in response.content.decode()


def test_dates_on_the_pages_are_dutch(client, world):
    html = dashboard_at(client, world.bureau, d=datetime.date(2020, 11, 1)).content.decode()
    assert "1 november 2020" in html


def test_the_comparison_lists_lvvs_by_name_and_figures_in_the_monitors_order(client, world):
    from monitor.labels import FIGURE_LABELS, TOTAL_LABEL
    from monitor.presenters import CONTRACT_KEYS, OUTSIDE_KEYS
    from tests.factories import LocationFactory

    # A code that sorts first, a name that sorts last.
    LocationFactory(slug="a-zwolle", name="LVV Zwolle")
    build(world.rot.location, sheltered=D - 10 * DAY)
    old = _snapshot(world.bureau, d=D - 20 * DAY)
    new = _snapshot(world.bureau)
    # A stored snapshot's JSON keeps no order of its own (jsonb); a snapshot of before
    # version 2 of the contract lacks the newer keys.
    for snapshot in (old, new):
        snapshot.refresh_from_db()
    del old.data["locations"]["rotterdam"]["departures_planned"]
    old.save(update_fields=["data"])
    response = get(client, world.bureau, url("snapshot-compare"), old=old.pk, new=new.pk)
    parts = response.context["parts"]
    assert [table.caption for table in parts] == ["LVV Amsterdam", "LVV Rotterdam", "LVV Zwolle", str(TOTAL_LABEL)]
    expected = [str(FIGURE_LABELS[key]) for key in CONTRACT_KEYS + OUTSIDE_KEYS]
    for table in parts:
        assert [row.label for row in table.rows] == expected
    html = response.content.decode()
    positions = [html.index(f'id="table-compare-{slug}"') for slug in ("amsterdam", "rotterdam", "a-zwolle", "total")]
    assert positions == sorted(positions)
    assert cells(response, "table-compare-rotterdam", "Vertrek gepland (gewijzigd)") == ["—", "0", "—"]
    assert cells(response, "table-compare-rotterdam", "In de opvang (gewijzigd)") == ["0", "1", "+1"]


def test_compare_gives_the_figures_in_the_contracts_order(world):
    from monitor import services
    from monitor.figures import FIGURE_KEYS

    old, new = _snapshot(world.bureau, d=D - DAY), _snapshot(world.bureau)
    old.refresh_from_db()
    new.refresh_from_db()
    diff = services.compare(old, new)
    assert list(diff["locations"]) == ["amsterdam", "rotterdam"]
    assert list(diff["total"]) == FIGURE_KEYS
    assert all(list(keys) == FIGURE_KEYS for keys in diff["locations"].values())


def test_a_snapshot_shows_its_lvvs_by_name(client, world):
    from tests.factories import LocationFactory

    LocationFactory(slug="a-zwolle", name="LVV Zwolle")
    snapshot = _snapshot(world.bureau)
    response = get(client, world.bureau, url("snapshot", pk=snapshot.pk))
    assert response.context["table"].columns == ["LVV Amsterdam", "LVV Rotterdam", "LVV Zwolle", "Totaal"]


# --- markup ------------------------------------------------------------------------------------

ID = re.compile(r"""\sid=["']([^"']+)["']""")


def _duplicate_ids(html: str) -> list[str]:
    seen, twice = set(), []
    for value in ID.findall(html):
        if value in seen:
            twice.append(value)
        seen.add(value)
    return twice


def test_no_page_of_the_monitor_has_an_id_twice(client, world):
    build(world.ams.location, sheltered=D - 10 * DAY, outflow=(D - DAY, "asylum_centre"))
    build(world.rot.location, sheltered=D - 5 * DAY)
    old, new = _snapshot(world.bureau, d=D - DAY), _snapshot(world.bureau)
    job = ExportJob.objects.create(requested_by=world.bureau, format="csv", parameters={"reference_date": "2020-06-15"})
    client.force_login(world.bureau)
    pages = [
        (url("dashboard"), {}),
        (url("dashboard"), {"date": D.isoformat()}),
        (url("dashboard"), {"date": D.isoformat(), "lvv": "rotterdam"}),
        (url("dashboard"), {"date": "2999-01-01"}),
        (url("quality"), {}),
        (url("snapshots"), {}),
        (url("snapshot", pk=new.pk), {}),
        (url("snapshot-compare"), {"old": old.pk, "new": new.pk}),
        (url("exports"), {}),
        (url("export", pk=job.pk), {}),
    ]
    for path, params in pages:
        response = client.get(path, params)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert ID.findall(html), path
        assert _duplicate_ids(html) == [], f"{path} {params}"
    html = client.get(url("dashboard"), {"date": D.isoformat()}).content.decode()
    assert html.count('id="id_date"') == 1 and 'id="id_export_date"' in html
    # Each label still points at its own field.
    for target in re.findall(r'<label[^>]* for="([^"]+)"', html):
        assert f'id="{target}"' in html, target

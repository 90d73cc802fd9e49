"""The dashboards: leaders and wellbeing officers only, every figure through disclosure control."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from wellkept.audit.models import AuditEntry
from wellkept.web.navigation import links_for

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("insights:dashboard")
CSV = reverse("insights:export_csv")
PDF = reverse("insights:export_pdf")
PULSE = {"instrument": "phq2", "grain": "week", "periods": "4"}
VIEWERS = ["lena", "wendy"]
OTHERS = ["amira", "priya", "sam", "fran", "joe", "nadia"]


def head() -> int:
    last = AuditEntry.objects.order_by("-id").first()
    return last.id if last is not None else 0


def events_after(mark: int) -> list[str]:
    return [str(e.event) for e in AuditEntry.objects.filter(id__gt=mark).order_by("id")]


@pytest.mark.parametrize("persona", VIEWERS)
def test_it_shows_the_dashboard_to_leaders_and_wellbeing_officers(
    client, insights_hospital, persona
):
    client.force_login(insights_hospital.people[persona])
    mark = head()
    response = client.get(DASHBOARD, PULSE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Whole organisation" in page
    assert "<svg" in page
    assert "<table" in page
    assert "at least 5 people" in page
    assert "aggregate.view" in events_after(mark)


def test_it_shows_the_latest_week_and_its_breakdowns(client, insights_hospital):
    client.force_login(insights_hospital.people["lena"])
    page = client.get(DASHBOARD, PULSE).content.decode()
    # Eleven people answered last week: the organisation's total is shown.
    assert re.search(r'<td class="num">11</td>', page)
    assert "By shift type" in page
    assert "By role" in page
    assert "Answers per severity band" in page


@pytest.mark.parametrize("persona", OTHERS)
def test_it_answers_not_found_to_everyone_else(client, staffed_hospital, persona):
    client.force_login(staffed_hospital.people[persona])
    for url in (DASHBOARD, CSV, PDF):
        mark = head()
        assert client.get(url, PULSE).status_code == 404
        # The refusal is in the audit trail too.
        assert events_after(mark)
    # A bad query tells them nothing either: still 404, not the 400 a viewer gets.
    assert client.get(DASHBOARD, {"grain": "fortnight"}).status_code == 404


def test_it_sends_an_anonymous_visitor_to_sign_in(client, staffed_hospital):
    for url in (DASHBOARD, CSV, PDF):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_it_answers_not_found_for_another_organisation(client, staffed_hospital):
    client.force_login(staffed_hospital.people["lena"])
    assert client.get(DASHBOARD, {"org": "elsewhere"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"instrument": "nope"}, "There is no questionnaire"),
        ({"grain": "fortnight"}, "Group by week, month or quarter."),
        ({"periods": "99"}, "Show between 1 and 26 periods."),
        ({"unit": "not-a-uuid"}, "That unit is not part of this organisation."),
        ({"shift": "day", "role": "nurse"}, "not both at once"),
    ],
)
def test_it_answers_a_bad_query_with_its_message(client, staffed_hospital, params, message):
    client.force_login(staffed_hospital.people["wendy"])
    response = client.get(DASHBOARD, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert client.get(CSV, params).status_code == 400


@pytest.mark.parametrize("export", [CSV, PDF])
def test_a_bad_export_query_gets_the_normal_page_with_its_message_and_a_way_back(
    client, staffed_hospital, export
):
    client.force_login(staffed_hospital.people["wendy"])
    hostile = "<script>alert(1)</script>"
    response = client.get(export, {"instrument": hostile, "grain": "week"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "The download could not be made" in page
    assert "There is no questionnaire" in page
    # The input is shown escaped, never run; and the way back keeps the filters.
    assert hostile not in page
    assert "&lt;script&gt;" in page
    assert (
        f'href="{DASHBOARD}?instrument=%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;grain=week"'
        in page
    )
    assert "Start again with no filters" in page


@pytest.mark.parametrize(
    ("grain", "said", "not_said"),
    [
        ("week", "Each period is one week", "whole weeks"),
        ("month", "a month holds the weeks whose Thursday falls in it", "Each period is one week"),
        ("quarter", "a quarter holds the weeks whose Thursday", "Each period is one week"),
    ],
)
def test_it_says_how_periods_are_cut_for_the_grain_shown(
    client, insights_hospital, grain, said, not_said
):
    client.force_login(insights_hospital.people["lena"])
    page = client.get(DASHBOARD, {"instrument": "phq2", "grain": grain}).content.decode()
    assert said in page
    assert not_said not in page


def test_its_band_panel_counts_answers_and_says_so(client, insights_hospital):
    client.force_login(insights_hospital.people["lena"])
    page = client.get(DASHBOARD, PULSE).content.decode()
    assert "Answers per severity band" in page
    assert "People per severity band" not in page
    panel = page[page.index('id="bands-title"') :]
    counts = [
        int(n) for n in re.findall(r'<td class="num">(\d+)</td></tr>', panel.split("</table>")[0])
    ]
    # What the heading says is what is counted: the answers of the period, in full.
    assert sum(counts) == 11
    assert "11 people gave 11 answers" in panel


def test_it_hides_a_small_unit_with_its_reason_and_no_count(client, insights_hospital):
    h = insights_hospital
    client.force_login(h.people["lena"])
    page = client.get(DASHBOARD, {**PULSE, "unit": str(h.ward.parent_id)}).content.decode()
    row = re.search(r"Intensive care</a></th>(.*?)</tr>", page, re.S)
    assert row is not None
    cells = row.group(1)
    assert "hidden" in cells
    assert "fewer than 5 people" in cells
    assert not re.search(r'<td class="num">\d', cells)


def test_it_drills_into_a_unit(client, insights_hospital):
    h = insights_hospital
    client.force_login(h.people["lena"])
    page = client.get(DASHBOARD, PULSE).content.decode()
    assert "Medicine" in page
    medicine = h.ward.parent_id
    assert f"unit={medicine}" in page
    drilled = client.get(DASHBOARD, {**PULSE, "unit": str(medicine)})
    assert drilled.status_code == 200
    body = drilled.content.decode()
    assert "Ward 7" in body
    assert "Up one level" in body


def test_it_exports_what_is_on_screen_as_csv_and_audits_it(client, insights_hospital):
    client.force_login(insights_hospital.people["lena"])
    mark = head()
    response = client.get(CSV, {**PULSE, "unit": str(insights_hospital.ward.parent_id)})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert any(r[:2] == ["By unit", "Ward 7"] for r in rows if len(r) > 3)
    icu = [r for r in rows if len(r) > 3 and r[1] == "Intensive care"]
    assert icu
    assert icu[0][3] == "hidden"
    assert "fewer than 5" in icu[0][-1]
    assert any(
        r[:2] == ["Trend", "Whole organisation"] and r[3] == "11" for r in rows if len(r) > 3
    )
    assert "record.export" in events_after(mark)


def test_it_exports_a_pdf_and_audits_it(client, insights_hospital):
    client.force_login(insights_hospital.people["wendy"])
    mark = head()
    response = client.get(PDF, PULSE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "record.export" in events_after(mark)


@pytest.mark.parametrize(("persona", "shown"), [("lena", True), ("wendy", True), ("priya", False)])
def test_it_links_insights_in_the_header_for_viewers_only(rf, staffed_hospital, persona, shown):
    from wellkept.orgs.models import StaffMembership

    user = staffed_hospital.people[persona]
    roles = set(StaffMembership.objects.filter(user=user).values_list("role", flat=True))
    from wellkept.orgs.models import Role

    links = links_for(rf.get("/"), {Role(r) for r in roles})
    assert ("Insights" in [link.label for link in links]) is shown


@pytest.mark.parametrize(
    "url",
    [
        "/team/follow-up/",
        "/team/follow-up/case/00000000-0000-4000-8000-000000000000/",
    ],
)
def test_it_keeps_a_leader_from_token_level_pages(client, staffed_hospital, url):
    # /me/data/ is everyone's own page (the leader's is empty), so not listed here.
    client.force_login(staffed_hospital.people["lena"])
    assert client.get(url).status_code == 404

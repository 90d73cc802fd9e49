"""The privacy officer's pages: only the organisation's privacy officer, 404 for everyone else."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.consent import inventory
from wellkept.consent.models import Notice
from wellkept.consent.services import consent_record, notice_publish
from wellkept.consent.tests.conftest import CONTACT, SETUP, sign_in
from wellkept.consent.views import privacy as privacy_views

pytestmark = pytest.mark.django_db

PROCESSING = reverse("privacy:processing")
PROCESSING_JSON = reverse("privacy:processing_json")
CONSENTS = reverse("privacy:consents")
NOTICES = reverse("privacy:notices")
PUBLISH = reverse("privacy:notice_publish")
PAGES = [PROCESSING, PROCESSING_JSON, CONSENTS, NOTICES, PUBLISH]


def entries_after(mark: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=mark).order_by("id"))


def head() -> int:
    last = AuditEntry.objects.order_by("-id").first()
    return last.id if last is not None else 0


def withdraw(world, name):
    consent_record(
        actor=world.people[name],
        participant=world.participants[name],
        notice=world.st_annes.notice,
        take_part=False,
        follow_up_contact=False,
        safety_alert=False,
    )


# ---- Who may see the pages --------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["lena", "amira", "pia"])
def test_it_answers_not_found_to_everyone_but_the_privacy_officer(client, world, persona, url):
    sign_in(client, world.people[persona], fresh_mfa=True)
    assert client.get(url).status_code == 404
    assert client.post(PUBLISH, {"privacy_contact": "x", "version": 2}).status_code == 404
    assert Notice.objects.filter(organisation=world.st_annes.organisation).count() == 1


@pytest.mark.parametrize("url", PAGES)
def test_it_keeps_a_privacy_officer_out_of_another_organisation(client, world, url):
    sign_in(client, world.people["oscar"], fresh_mfa=True)
    assert client.get(url, {"org": "st-annes"}).status_code == 404


def test_it_shows_another_organisations_officer_only_their_own_register(client, world):
    sign_in(client, world.people["oscar"])
    page = client.get(CONSENTS).content.decode()
    assert "Elsewhere Clinic" in page
    assert world.participants["farah"].token[:8] in page
    assert world.participants["pia"].token[:8] not in page


def test_it_audits_a_refusal(client, world):
    mark = head()
    sign_in(client, world.people["lena"])
    client.get(CONSENTS)
    [entry] = entries_after(mark)
    assert entry.event == EventType.ACCESS_DENIED
    assert entry.outcome == Outcome.DENIED
    assert entry.actor_id == str(world.people["lena"].pk)
    assert entry.purpose == "audit_oversight"


def test_it_refuses_a_made_up_organisation(client, world):
    sign_in(client, world.people["priya"])
    assert client.get(CONSENTS, {"org": "nowhere"}).status_code == 404


def test_it_sends_a_visitor_to_sign_in(client, world):
    response = client.get(PROCESSING)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# ---- Record of processing ---------------------------------------------------------------


def test_it_shows_the_record_of_processing(client, world):
    sign_in(client, world.people["priya"])
    mark = head()
    page = client.get(PROCESSING).content.decode()
    assert "Record of processing" in page
    assert "St Anne&#x27;s Hospital" in page
    assert CONTACT in page
    for item in inventory.INVENTORY:
        assert item.name.replace("'", "&#x27;") in page
    assert "AES-256-GCM" in page
    assert "hash-chained" in page
    [entry] = entries_after(mark)
    assert entry.event == EventType.RECORD_READ
    assert entry.target == f"processing:{world.st_annes.organisation.pk}"
    assert entry.purpose == "audit_oversight"


def test_it_downloads_the_record_of_processing_as_json(client, world):
    sign_in(client, world.people["priya"])
    response = client.get(PROCESSING_JSON)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    record = json.loads(response.content)
    assert record["controller"] == {"name": "St Anne's Hospital", "privacy_contact": CONTACT}
    assert record["inventory_digest"] == inventory.digest()
    assert [i["key"] for i in record["items"]] == [i.key for i in inventory.INVENTORY]
    answers = next(i for i in record["items"] if i["key"] == "answers")
    assert answers["encrypted"] is True
    assert "assessments.Response.payload" in answers["stored_in"]
    assert answers["lawful_basis"] == str(inventory.LawfulBasis.CONSENT.label)
    assert any("discipline" in p for p in record["purposes"])
    assert record["recipients"]
    assert record["security_measures"]


# ---- Consent register -------------------------------------------------------------------


def test_it_counts_where_participants_stand_by_notice_version(client, world):
    withdraw(world, "colin")
    sign_in(client, world.people["priya"])
    response = client.get(CONSENTS)
    counts = {c["notice__version"]: c for c in response.context["counts"]}
    assert counts[1]["taking_part"] == 1
    assert counts[1]["follow_up"] == 1
    assert counts[1]["safety"] == 1
    assert counts[1]["withdrawn"] == 1
    assert response.context["totals"]["withdrawn"] == 1


def test_it_counts_each_participant_under_their_latest_decision(client, world):
    v2 = notice_publish(
        actor=SETUP, organisation=world.st_annes.organisation, privacy_contact=CONTACT
    )
    consent_record(
        actor=world.people["pia"],
        participant=world.participants["pia"],
        notice=v2,
        take_part=True,
        follow_up_contact=False,
        safety_alert=False,
    )
    sign_in(client, world.people["priya"])
    counts = {c["notice__version"]: c for c in client.get(CONSENTS).context["counts"]}
    assert counts[2]["taking_part"] == 1
    assert counts[2]["follow_up"] == 0
    assert counts[1]["taking_part"] == 1  # Colin, not yet renewed


def test_it_lists_decisions_by_shortened_token_and_day(client, world):
    sign_in(client, world.people["priya"])
    page = client.get(CONSENTS).content.decode()
    pia = world.participants["pia"]
    assert pia.token[:8] in page
    assert pia.token not in page
    assert "Consent given" in page
    assert "taking part, follow-up contact, safety alerts" in page
    assert "declines before joining leaves no record" in page
    assert "pia@" not in page


def test_it_pages_through_decisions(client, world, monkeypatch):
    monkeypatch.setattr(privacy_views, "PAGE_SIZE", 1)
    sign_in(client, world.people["priya"])
    first = client.get(CONSENTS)
    assert first.context["events"].paginator.num_pages == 2
    second = client.get(CONSENTS, {"page": 2})
    assert second.context["events"].number == 2
    shown = {r.pk for r in first.context["events"]} | {r.pk for r in second.context["events"]}
    assert len(shown) == 2


def test_it_audits_the_register_once_for_audit_oversight(client, world):
    sign_in(client, world.people["priya"])
    mark = head()
    client.get(CONSENTS)
    [entry] = entries_after(mark)
    assert entry.event == EventType.RECORD_READ
    assert entry.target == "consent_record:list"
    assert entry.purpose == "audit_oversight"
    assert entry.actor_id == str(world.people["priya"].pk)


# ---- Notices ------------------------------------------------------------------------------


def test_it_lists_notices_and_says_when_the_current_one_is_up_to_date(client, world):
    sign_in(client, world.people["priya"])
    response = client.get(NOTICES)
    assert response.context["out_of_date"] is False
    assert "Version 1 is current" in response.content.decode()


def test_it_warns_when_the_inventory_changed_since_publication(client, world):
    notice = world.st_annes.notice
    content = dict(notice.content)
    content["data"] = [i for i in content["data"] if i["key"] != "drafts"]
    Notice.objects.filter(pk=notice.pk).update(inventory_digest="0" * 64, content=content)
    sign_in(client, world.people["priya"])
    response = client.get(NOTICES)
    page = response.content.decode()
    assert response.context["out_of_date"] is True
    assert "Version 1 is out of date" in page
    assert "New: Unfinished check-ins." in page
    # The preview shows what version 2 would say.
    assert "Unfinished check-ins" in page


def test_it_asks_for_the_second_factor_again_before_publishing(client, world):
    sign_in(client, world.people["priya"])
    response = client.get(PUBLISH)
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]


def test_it_publishes_the_next_version(client, world):
    sign_in(client, world.people["priya"], fresh_mfa=True)
    form = client.get(PUBLISH)
    assert form.status_code == 200
    assert form.context["form"].initial["privacy_contact"] == CONTACT
    mark = head()
    response = client.post(
        f"{PUBLISH}?org=st-annes",
        {"privacy_contact": "dpo@stannes.example", "version": 2},
    )
    assert response.status_code == 302
    notice = Notice.objects.get(organisation=world.st_annes.organisation, version=2)
    assert notice.content["privacy_contact"] == "dpo@stannes.example"
    events = [e.event for e in entries_after(mark)]
    assert EventType.NOTICE_PUBLISHED in events


def test_it_refuses_to_publish_twice_from_one_form(client, world):
    sign_in(client, world.people["priya"], fresh_mfa=True)
    data = {"privacy_contact": CONTACT, "version": 2}
    assert client.post(PUBLISH, data).status_code == 302
    again = client.post(PUBLISH, data)
    assert again.status_code == 400
    assert "Another version was published" in again.content.decode()
    assert Notice.objects.filter(organisation=world.st_annes.organisation).count() == 2


def test_it_explains_a_missing_privacy_contact(client, world):
    sign_in(client, world.people["priya"], fresh_mfa=True)
    response = client.post(PUBLISH, {"privacy_contact": "   ", "version": 2})
    assert response.status_code == 400
    assert Notice.objects.filter(organisation=world.st_annes.organisation).count() == 1


# ---- The notice page for clinicians ------------------------------------------------------


def notice_url(version: int) -> str:
    return reverse("consent:notice_version", kwargs={"version": version})


@pytest.fixture
def mounted():
    """Skip until the lead mounts notice_version in wellkept.consent.urls."""
    from django.urls import NoReverseMatch

    try:
        notice_url(1)
    except NoReverseMatch:
        pytest.skip("consent:notice_version is not mounted yet")


def test_it_shows_a_published_notice_to_a_clinician(client, world, mounted):
    sign_in(client, world.people["pia"])
    response = client.get(notice_url(1))
    page = response.content.decode()
    assert response.status_code == 200
    assert "What this programme promises you" in page
    assert "<details" in page
    assert "<table" not in page
    assert CONTACT in page
    assert "I want to take part in the wellbeing programme" in page


def test_it_says_when_a_newer_notice_exists(client, world, mounted):
    notice_publish(actor=SETUP, organisation=world.st_annes.organisation, privacy_contact=CONTACT)
    sign_in(client, world.people["pia"])
    assert "A newer version (version 2)" in client.get(notice_url(1)).content.decode()


def test_it_shows_no_notice_of_another_organisation(client, world, mounted):
    notice_publish(actor=SETUP, organisation=world.st_annes.organisation, privacy_contact=CONTACT)
    sign_in(client, world.people["farah"])
    assert client.get(notice_url(2)).status_code == 404
    assert client.get(notice_url(1)).status_code == 200  # Elsewhere's own version 1


def test_it_renders_the_notice_partial_from_frozen_content(world):
    from django.template.loader import render_to_string

    notice = world.st_annes.notice
    html = render_to_string(
        "consent/_notice.html", {"content": notice.content, "version": notice.version}
    )
    for item in notice.content["data"]:
        assert item["retention"].replace("'", "&#x27;") in html
    assert html.count("<details") == len(notice.content["data"])
    assert "<table" not in html

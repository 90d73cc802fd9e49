"""Release-of-information pages: the therapist's forms, the accounting, the recipient's download."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as Browser
from django.urls import reverse

from wellkept.audit.events import EventType
from wellkept.audit.tests import trail
from wellkept.disclosures.models import Authorisation, Disclosure, DisclosureLink
from wellkept.disclosures.tests.helpers import authorise, disclose, today
from wellkept.practice.tests.conftest import signed_in

pytestmark = pytest.mark.django_db

Q = "?org=harbour"
EVERYONE_ELSE = ("theo", "sue", "fran", "bill", "priya", "amira", "olga", "oren")


def url(name: str, *args: object) -> str:
    return reverse(f"disclosures:{name}", args=args) + Q


def authorisation_form(**more: object) -> dict[str, object]:
    values: dict[str, object] = {
        "kind": "records",
        "categories": ["demographics", "appointments"],
        "records_from": (today() - dt.timedelta(days=100)).isoformat(),
        "records_to": today().isoformat(),
        "recipient_name": "Dr Gwen Quillcanary",
        "recipient_organisation": "Riverside Surgery",
        "recipient_address": "gp.quillcanary@example.invalid",
        "purpose": "Continuity of care with the GP.",
        "expires_on": (today() + dt.timedelta(days=60)).isoformat(),
        "signed_name": "Ada Canaryvale Testwell",
        "read_by_client": "on",
    }
    values.update(more)
    return values


def test_it_lets_the_therapist_record_an_authorisation_and_disclose_with_a_link_shown_once(
    practice,
):
    ada = practice.clients["ada"]
    tess = signed_in(practice.people["tess"])
    detail = tess.get(reverse("practice:client", args=[ada.pk]) + Q)
    assert url("client_home", ada.pk).split("?")[0] in detail.text
    assert tess.get(url("client_home", ada.pk)).status_code == 200
    assert tess.get(url("authorisation_new", ada.pk)).status_code == 200

    sent = tess.post(url("authorisation_new", ada.pk), authorisation_form())

    assert sent.status_code == 302
    authorisation = Authorisation.objects.get(client=ada)
    home = tess.get(url("client_home", ada.pk))
    assert "Dr Gwen Quillcanary" in home.text
    made = tess.post(
        url("disclosure_new", ada.pk),
        {
            "basis": f"a:{authorisation.pk}",
            "categories": ["demographics"],
            "records_from": (today() - dt.timedelta(days=10)).isoformat(),
            "records_to": today().isoformat(),
        },
    )
    assert made.status_code == 200
    assert "shown only now" in made.text
    link = reverse("disclosures:release", args=["TOKEN"]).split("TOKEN")[0]
    start = made.text.index(link)
    token = made.text[start + len(link) :].split("/")[0]

    stranger = Browser()
    assert stranger.get(reverse("disclosures:release", args=[token])).status_code == 200
    got = stranger.post(reverse("disclosures:release_download", args=[token]))
    assert got.status_code == 200
    assert got["Content-Type"] == "application/zip"
    again = stranger.post(reverse("disclosures:release_download", args=[token]))
    assert again.status_code == 404
    accounting = tess.get(url("accounting", ada.pk))
    assert "Riverside Surgery" in accounting.text
    assert "Demographics" in accounting.text


def test_it_says_what_is_wrong_with_bad_input_and_never_fails(practice):
    ada = practice.clients["ada"]
    tess = signed_in(practice.people["tess"])

    empty = tess.post(url("authorisation_new", ada.pk), {})
    wrong = tess.post(
        url("authorisation_new", ada.pk),
        authorisation_form(
            signed_name="Addie",
            expires_on="not a date",
            kind="psychotherapy_notes",
        ),
    )
    mismatch = tess.post(url("authorisation_new", ada.pk), authorisation_form(signed_name="Addie"))
    nobasis = tess.post(url("disclosure_new", ada.pk), {"categories": ["demographics"]})
    badbasis = tess.post(url("legal_basis_new", ada.pk), {"kind": "rumour", "reason": "x"})

    assert empty.status_code == 200
    assert "Choose the kind of authorisation." in empty.text
    assert "Enter the expires on as YYYY-MM-DD." in wrong.text
    assert "covers them alone" in wrong.text
    assert "legal name exactly as on file" in mismatch.text
    assert "Choose the authorisation or legal basis" in nobasis.text
    assert "no current authorisation" in nobasis.text
    assert badbasis.status_code == 200
    assert not Authorisation.objects.exists()


def test_it_refuses_a_disclosure_beyond_the_authorisation_on_the_page(practice):
    ada = practice.clients["ada"]
    authorisation = authorise(practice, categories=("demographics",))
    tess = signed_in(practice.people["tess"])
    before = trail.mark()

    page = tess.post(
        url("disclosure_new", ada.pk),
        {
            "basis": f"a:{authorisation.pk}",
            "categories": ["psychotherapy_notes"],
            "records_from": today().isoformat(),
            "records_to": today().isoformat(),
        },
    )

    assert page.status_code == 200
    assert "Psychotherapy notes are released only under" in page.text
    assert EventType.ACCESS_DENIED in [e.event for e in trail.written_since(before)]
    assert not Disclosure.objects.exists()


def test_it_revokes_an_authorisation_on_the_clients_written_request(practice):
    ada = practice.clients["ada"]
    authorisation = authorise(practice)
    tess = signed_in(practice.people["tess"])
    page = url("authorisation_revoke", ada.pk, authorisation.pk)
    assert tess.get(page).status_code == 200
    assert "at least" in tess.post(page, {"reason": "no"}).text.lower()

    sent = tess.post(page, {"reason": "Letter from the client dated today asking to stop it."})

    assert sent.status_code == 302
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is not None
    assert "Revoked" in tess.get(url("client_home", ada.pk)).text


def test_it_answers_404_to_every_other_role_audited(practice):
    ada = practice.clients["ada"]
    authorisation = authorise(practice)
    home = url("client_home", ada.pk)
    pages = [
        url("authorisation_new", ada.pk),
        url("authorisation_revoke", ada.pk, authorisation.pk),
        url("legal_basis_new", ada.pk),
        url("disclosure_new", ada.pk),
    ]
    for who in EVERYONE_ELSE:
        browser = signed_in(practice.people[who])
        before = trail.mark()
        assert browser.get(home).status_code == 404, who
        assert [e.event for e in trail.written_since(before)] == [EventType.ACCESS_DENIED]
        for page in pages:
            before = trail.mark()
            assert browser.get(page).status_code == 404, (who, page)
            assert browser.post(page, authorisation_form()).status_code == 404, (who, page)
            events = [e.event for e in trail.written_since(before)]
            assert events == [EventType.ACCESS_DENIED] * 2, (who, page, events)
        if who != "priya":
            assert browser.get(url("accounting", ada.pk)).status_code == 404, who
        assert browser.get(url("practice_accounting")).status_code == (
            200 if who == "priya" else 404
        ), who
    assert Authorisation.objects.count() == 1
    assert not Disclosure.objects.exists()


def test_the_privacy_officer_reads_the_accounting_never_the_content(practice):
    ada = practice.clients["ada"]
    disclose(practice, authorise(practice))
    priya = signed_in(practice.people["priya"])

    listing = priya.get(url("practice_accounting"))
    one = priya.get(url("accounting", ada.pk))

    assert listing.status_code == 200
    assert ada.code in listing.text
    assert "Riverside Surgery" in one.text
    assert "Ada Canaryvale" not in one.text
    assert "Kestrelcanary" not in one.text
    # Another practice's privacy officer would see none of it: nobody of Other has the role.
    assert signed_in(practice.people["olga"]).get(url("accounting", ada.pk)).status_code == 404


def test_a_recipients_page_names_nobody_and_an_unknown_link_is_404(practice):
    issued = disclose(practice, authorise(practice))
    page = Browser().get(reverse("disclosures:release", args=[issued.raw]))
    assert "Quillcanary" not in page.text
    assert "Canaryvale" not in page.text
    missing = Browser().post(reverse("disclosures:release_download", args=["abc_def"]))
    assert missing.status_code == 404
    assert DisclosureLink.objects.get().used_at is None

"""Retention periods: lawful bounds held by the database, the form and the service; audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from wellkept.assessments.tests.fixtures import SYSTEM
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup.tests.conftest import sign_in
from wellkept.lifecycle.forms import RetentionForm
from wellkept.lifecycle.models import DataCategory, RetentionPeriod
from wellkept.lifecycle.selectors import retention_periods
from wellkept.lifecycle.services import retention_set

pytestmark = pytest.mark.django_db

AUDIT = DataCategory.AUDIT_TRAIL


def test_it_defaults_to_12_months_7_years_and_6_years(hospital):
    periods = retention_periods(hospital.organisation)
    assert periods[DataCategory.CHECKIN_ANSWERS] == 12
    assert periods[DataCategory.CASE_NOTES] == 84
    assert periods[AUDIT] == 72


def test_the_database_refuses_an_audit_trail_shorter_than_6_years(hospital):
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPeriod.objects.create(
            organisation=hospital.organisation, category=AUDIT, months=71
        )


def test_the_database_refuses_a_period_outside_its_bounds(hospital):
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPeriod.objects.create(
            organisation=hospital.organisation, category=DataCategory.CHECKIN_ANSWERS, months=0
        )


def test_the_form_says_the_audit_trail_needs_6_years():
    form = RetentionForm({"category": AUDIT, "months": "60"})
    assert not form.is_valid()
    assert "at least 6 years (72 months)" in form.errors["months"][0]
    assert RetentionForm({"category": AUDIT, "months": "72"}).is_valid()


def test_the_form_explains_a_number_that_is_not_one():
    form = RetentionForm({"category": AUDIT, "months": "six years"})
    assert not form.is_valid()
    assert "whole number" in form.errors["months"][0]


def test_the_service_refuses_an_audit_trail_shorter_than_6_years(hospital):
    with pytest.raises(ValidationError, match="at least 6 years"):
        retention_set(actor=SYSTEM, organisation=hospital.organisation, category=AUDIT, months=24)
    assert not RetentionPeriod.objects.exists()


def test_the_service_records_a_change_in_the_audit_trail(hospital):
    retention_set(
        actor=hospital.people["priya"],
        organisation=hospital.organisation,
        category=DataCategory.CHECKIN_ANSWERS,
        months=6,
    )
    entry = AuditEntry.objects.filter(event=EventType.CONFIG_CHANGED).latest("id")
    assert entry.target == "setting:retention/st-annes/checkin_answers"
    assert entry.reason == "retention 12 -> 6 months"
    assert retention_periods(hospital.organisation)[DataCategory.CHECKIN_ANSWERS] == 6


def test_the_service_refuses_anyone_but_the_privacy_officer(hospital):
    for name in ("lena", "amira", "wendy", "joe"):
        with pytest.raises(PermissionDenied):
            retention_set(
                actor=hospital.people[name],
                organisation=hospital.organisation,
                category=DataCategory.CHECKIN_ANSWERS,
                months=6,
            )
    assert not RetentionPeriod.objects.exists()


def _page(world):
    return reverse("lifecycle:retention") + "?org=st-annes"


def test_the_privacy_officer_sees_and_changes_the_periods(client, world):
    sign_in(client, world.people["priya"])
    page = client.get(_page(world)).content.decode()
    assert "Check-in answers" in page
    assert "72 to 1200 months" in page
    url = reverse("lifecycle:retention_update") + "?org=st-annes"
    response = client.post(url, {"category": "case_notes", "months": "120"})
    assert response.status_code == 302
    org = world.st_annes.organisation
    assert retention_periods(org)[DataCategory.CASE_NOTES] == 120


def test_the_page_refuses_an_audit_trail_shorter_than_6_years_with_a_message(client, world):
    sign_in(client, world.people["priya"])
    url = reverse("lifecycle:retention_update") + "?org=st-annes"
    response = client.post(url, {"category": "audit_trail", "months": "12"})
    assert response.status_code == 400
    assert "at least 6 years" in response.content.decode()
    assert not RetentionPeriod.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["set", "--organisation", "nowhere", "--category", "scores", "--months", "3"],
         "No organisation 'nowhere'"),
        (["set", "--organisation", "st-annes", "--category", "audit_trail", "--months", "71"],
         "at least 6 years"),
        (["set", "--organisation", "st-annes", "--category", "scores", "--months", "0"],
         "between 1 and 120"),
        (["run", "--organisation", "nowhere"], "Known organisations: st-annes"),
        (["show", "--organisation", "nowhere"], "No organisation"),
    ],
)  # fmt: skip
def test_the_command_explains_bad_arguments_and_changes_nothing(hospital, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("retention", *arguments)
    assert not RetentionPeriod.objects.exists()

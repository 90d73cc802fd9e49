"""The one erasure service: My data hands out the receipt; holds stop it; restore still erases."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from html import unescape
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.urls import reverse

from wellkept.actors import SystemActor
from wellkept.lifecycle.models import ErasureRule, LegalHold
from wellkept.lifecycle.receipts import receipt_verify
from wellkept.lifecycle.services import legal_hold_set, participant_erase
from wellkept.lifecycle.tombstones import tombstones_since
from wellkept.orgs.models import Participant

pytestmark = pytest.mark.django_db

REASON = "Regulator's investigation 2026-12: keep this person's records."


def _fresh(client, user):
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time()}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


def test_my_data_erasure_ends_with_a_signed_receipt_to_download(client, hospital):
    joe = hospital.participants["joe"]
    _fresh(client, hospital.people["joe"])
    page = client.post(reverse("lifecycle:erase"), {"confirm": "erase"}).content.decode()
    assert not Participant.objects.filter(pk=joe.pk).exists()
    href = re.search(r'href="data:application/json;charset=utf-8,([^"]+)" download=', page)
    assert href is not None
    receipt = json.loads(unquote(unescape(href.group(1))))
    assert receipt_verify(receipt).rule == ErasureRule.SUBJECT_REQUEST
    assert joe.token not in page


def test_a_legal_hold_stops_my_data_erasure_with_a_message(client, hospital):
    joe = hospital.participants["joe"]
    legal_hold_set(
        actor=hospital.people["priya"], organisation=hospital.organisation, token=joe.token,
        reason=REASON,
    )  # fmt: skip
    _fresh(client, hospital.people["joe"])
    response = client.post(reverse("lifecycle:erase"), {"confirm": "erase"})
    assert response.status_code == 400
    assert "A legal hold is in force" in response.content.decode()
    assert Participant.objects.filter(pk=joe.pk).exists()


def test_a_restore_re_applying_a_tombstone_erases_despite_a_restored_hold(hospital):
    joe = hospital.participants["joe"]
    legal_hold_set(
        actor=hospital.people["priya"], organisation=hospital.organisation, token=joe.token,
        reason=REASON,
    )  # fmt: skip
    erasure = participant_erase(actor=SystemActor("backup restore"), participant=joe)
    assert erasure.rule == ErasureRule.JOB
    assert not Participant.objects.filter(pk=joe.pk).exists()
    assert not LegalHold.objects.exists()
    assert len(tombstones_since(None)) == 1


def test_the_scheduler_runs_retention_once_a_day_from_its_hour(hospital, monkeypatch, capsys):
    from wellkept import clock

    moment = {"now": dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])

    def retention_lines() -> list[str]:
        # The insights job runs from midnight beside it; only retention is looked at here.
        return [line for line in capsys.readouterr().out.splitlines() if "retention" in line]

    call_command("scheduler", "--once")
    assert retention_lines() == []  # before 03:00 UTC: not due
    moment["now"] = moment["now"].replace(hour=4)
    call_command("scheduler", "--once")
    assert retention_lines()[0].startswith("retention: deleted nothing")
    call_command("scheduler", "--once")
    assert retention_lines() == []  # ran today already
    moment["now"] += dt.timedelta(days=1)
    call_command("scheduler", "--once")
    assert retention_lines()[0].startswith("retention:")


def test_it_leaves_no_row_in_any_table_that_points_at_the_participant(world, case):
    """Check every model with a foreign key to Participant, found by introspection."""
    from django.apps import apps

    from wellkept.followup.models import CaseMessage, CaseNote
    from wellkept.insights.models import Contribution
    from wellkept.vault.models import DataKey

    pia = world.participants["pia"]
    pointing = [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is Participant
    ]
    assert len(pointing) >= 10  # check-ins, responses, alerts, cases, grants, holds, ...
    assert Contribution.objects.filter(participant=pia).exists()
    cases = [case.pk]
    participant_erase(actor=world.people["pia"], participant=pia)
    left = {
        model._meta.label: n
        for model, name in pointing
        if (n := model._default_manager.filter(**{f"{name}_id": pia.pk}).count())
    }
    assert left == {}
    assert not CaseNote.objects.filter(case_id__in=cases).exists()
    assert not CaseMessage.objects.filter(case_id__in=cases).exists()
    assert DataKey.objects.get(subject=pia.dek_subject).wrapped is None

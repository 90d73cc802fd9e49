"""The practice's commands: erase a client by code, record a supervision; each audited."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice.models import Client, Supervision
from wellkept.vault.models import DataKey

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_erases_a_client_by_code(practice) -> None:
    mia = practice.clients["mia"]
    said = run("practice-client", "erase", mia.code.lower(), "--organisation", "harbour")
    assert said == f"Erased client {mia.code} at Harbour Practice: key shredded, rows deleted.\n"
    assert not Client.objects.filter(pk=mia.pk).exists()
    assert DataKey.objects.get(subject=mia.dek_subject).is_shredded
    erased = AuditEntry.objects.get(event=EventType.PRACTICE_CLIENT_ERASED)
    assert erased.actor_label == "system:practice-client"


def test_it_erases_nothing_on_a_dry_run(practice) -> None:
    mia = practice.clients["mia"]
    said = run("practice-client", "erase", mia.code, "--organisation", "harbour", "--dry-run")
    assert "Would erase" in said
    assert Client.objects.filter(pk=mia.pk).exists()


def test_it_refuses_an_unknown_code_or_organisation(practice) -> None:
    with pytest.raises(CommandError, match="No client C-ZZZZZ"):
        run("practice-client", "erase", "C-ZZZZZ", "--organisation", "harbour")
    with pytest.raises(CommandError, match="No organisation 'nowhere'"):
        run("practice-client", "erase", "C-ZZZZZ", "--organisation", "nowhere")
    # A code of another practice is not found at this one.
    otto = practice.clients["otto"]
    with pytest.raises(CommandError):
        run("practice-client", "erase", otto.code, "--organisation", "harbour")
    assert Client.objects.filter(pk=otto.pk).exists()


def test_it_records_a_supervision(practice) -> None:
    said = run(
        "supervision",
        "start",
        "--organisation",
        "harbour",
        "--supervisor",
        "sue@harbour.example",
        "--therapist",
        "theo@harbour.example",
    )
    assert said == "Supervision recorded at Harbour Practice.\n"
    assert Supervision.objects.filter(
        supervisor=practice.people["sue"], supervisee=practice.people["theo"]
    ).exists()


def test_it_explains_a_refused_supervision(practice) -> None:
    with pytest.raises(CommandError, match="clinical supervisor role"):
        run(
            "supervision",
            "start",
            "--organisation",
            "harbour",
            "--supervisor",
            "tess@harbour.example",
            "--therapist",
            "theo@harbour.example",
        )
    with pytest.raises(CommandError, match="No account"):
        run(
            "supervision",
            "start",
            "--organisation",
            "harbour",
            "--supervisor",
            "nobody@harbour.example",
            "--therapist",
            "theo@harbour.example",
        )


def test_it_adds_and_lists_rooms_audited(practice) -> None:
    said = run("practice-room", "add", "Blue Room", "--organisation", "harbour", "--note", "2")
    assert said == "Added Blue Room to Harbour Practice.\n"
    assert run("practice-room", "list", "--organisation", "harbour") == (
        "Blue Room (2)\n1 room(s) at Harbour Practice.\n"
    )
    entry = AuditEntry.objects.get(event=EventType.CONFIG_CHANGED, reason="room created")
    assert entry.actor_label == "system:practice-room"


def test_it_refuses_a_second_room_of_the_same_name(practice) -> None:
    run("practice-room", "add", "Blue Room", "--organisation", "harbour")
    with pytest.raises(CommandError, match="already has a room called blue room"):
        run("practice-room", "add", "blue room", "--organisation", "harbour")
    with pytest.raises(CommandError, match="Enter the room's name"):
        run("practice-room", "add", "  ", "--organisation", "harbour")

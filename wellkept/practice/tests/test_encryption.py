"""Nothing a client said at intake is in the database in clear, and the name index says nothing."""

from __future__ import annotations

import pytest
from django.db import connection

from wellkept.practice.models import Client, ClientNameToken, Guardian
from wellkept.practice.services import INTAKE_FIELDS
from wellkept.practice.tests.conftest import ADA_LEGAL, raw_column

pytestmark = pytest.mark.django_db

PLANTED = [
    "Canaryvale",
    "Testwell",
    "Addie",
    "ada.testwell@example.invalid",
    "7946 0999",
    "Emergencyson",
    "Referral-Quill",
    "Imaginary Mutual",
    "IMX-4417-CANARY",
    "Gina",
    "Fakename",
]


def _every_text_in_the_practice_tables() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for model in (Client, Guardian, ClientNameToken):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (the model's own table)
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_it_stores_every_intake_field_as_ciphertext(practice) -> None:
    ada = practice.clients["ada"]
    for field in INTAKE_FIELDS:
        stored = raw_column(Client, ada.pk, field)
        assert stored.startswith("wk1$"), field
        assert ADA_LEGAL.split()[1] not in stored


def test_it_leaves_no_planted_value_in_clear_in_any_practice_table(practice) -> None:
    everything = _every_text_in_the_practice_tables().casefold()
    for value in PLANTED:
        assert value.casefold() not in everything, value


def test_it_stores_the_guardian_as_ciphertext(practice) -> None:
    guardian = Guardian.objects.get(client=practice.clients["mia"])
    for field in ("name", "relation", "phone", "email"):
        assert raw_column(Guardian, guardian.pk, field).startswith("wk1$")

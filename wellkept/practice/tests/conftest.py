"""Personas for the practice tests: one practice, its staff, its clients, and a stranger.

At Harbour Practice: Tess and Theo are therapists (specialists), Sue is the
clinical supervisor of Tess (not of Theo), Fran is the front desk, Bill does
the billing, Priya is the privacy officer and Amira the system
administrator. Olga is the front desk of Other Practice, where Oren is a
therapist. Staff have a second factor.

Clients (invented, clearly fake): Ada Testwell (preferred "Addie") works
with Tess; Ben Samplesby works with Theo; Mia Fakename is 12, with her
guardian Gina Fakename, and works with Theo; Otto Elsewhere is a client of
Other Practice, with Oren.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client as Browser

from tests import once
from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.consent.tests.conftest import with_mfa
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Organisation, Role
from wellkept.practice import services
from wellkept.practice.models import Client
from wellkept.practice.services import GuardianDetails, Intake

SETUP = SystemActor("practice-tests")
ADA_LEGAL = "Ada Canaryvale Testwell"
ADA_PREFERRED = "Addie"


@dataclass
class Practice:
    harbour: Organisation
    other: Organisation
    people: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)


def years_ago(years: int) -> dt.date:
    today = clock.now().date()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def adult_intake(legal_name: str, preferred: str = "", **more: object) -> Intake:
    values: dict[str, object] = {
        "legal_name": legal_name,
        "preferred_name": preferred,
        "date_of_birth": years_ago(34),
        "pronouns": "she/her",
        "email": "ada.testwell@example.invalid",
        "phone": "+44 20 7946 0999",
        "contact_channels": ("email", "text"),
        "voicemail_ok": True,
        "emergency_name": "Eddie Emergencyson",
        "emergency_relation": "brother",
        "emergency_phone": "+44 20 7946 0111",
        "referral_source": "Dr Referral-Quill",
        "insurance_payer": "Imaginary Mutual",
        "insurance_member_id": "IMX-4417-CANARY",
    }
    values.update(more)
    return Intake(**values)  # type: ignore[arg-type]


def staff(practice: Practice, name: str, organisation: Organisation, role: Role) -> User:
    user = practice.people.get(name) or with_mfa(
        User.objects.create_user(f"{name}@{organisation.slug}.example", None)
    )
    user.display_name = name.capitalize()
    user.save(update_fields=["display_name"])
    orgs.staff_membership_grant(actor=SETUP, user=user, organisation=organisation, role=role)
    practice.people[name] = user
    return user


def build_practice() -> Practice:
    harbour = orgs.organisation_create(actor=SETUP, name="Harbour Practice", slug="harbour")
    other = orgs.organisation_create(actor=SETUP, name="Other Practice", slug="other")
    p = Practice(harbour=harbour, other=other)
    for name, role in (
        ("tess", Role.SPECIALIST),
        ("theo", Role.SPECIALIST),
        ("sue", Role.CLINICAL_SUPERVISOR),
        ("fran", Role.FRONT_DESK),
        ("bill", Role.BILLING),
        ("priya", Role.PRIVACY_OFFICER),
        ("amira", Role.SYSTEM_ADMIN),
    ):
        staff(p, name, harbour, role)
    staff(p, "olga", other, Role.FRONT_DESK)
    staff(p, "oren", other, Role.SPECIALIST)
    services.supervision_start(
        actor=SETUP, organisation=harbour, supervisor=p.people["sue"], supervisee=p.people["tess"]
    )

    def client(key: str, org: Organisation, therapist: str, intake: Intake, **kw: object) -> None:
        row = services.client_create(actor=SETUP, organisation=org, intake=intake, **kw)  # type: ignore[arg-type]
        services.client_assign(actor=SETUP, client=row, therapist=p.people[therapist])
        p.clients[key] = row

    client("ada", harbour, "tess", adult_intake(ADA_LEGAL, ADA_PREFERRED))
    client("ben", harbour, "theo", adult_intake("Ben Samplesby", "Benji"))
    client(
        "mia",
        harbour,
        "theo",
        adult_intake("Mia Fakename", date_of_birth=years_ago(12)),
        guardian=GuardianDetails(name="Gina Fakename", relation="mother", phone="+44 1632 960000"),
    )
    client("otto", other, "oren", adult_intake("Otto Elsewhere"))
    return p


@pytest.fixture(scope="module")
def _practice_once(request: pytest.FixtureRequest) -> Iterator[Practice]:
    with once.built_once(request, lambda _: build_practice()) as world:
        yield world


@pytest.fixture
def practice(request: pytest.FixtureRequest, _practice_once: Practice, db: None) -> Practice:
    """Harbour and Other practices, built once per module; each test gets its own copy."""
    return once.fresh(request, _practice_once)


def raw_column(model: type[Model], pk: object, column: str) -> str:
    """The column's bytes as the database holds them, past every model field."""
    table = connection.ops.quote_name(model._meta.db_table)
    name = connection.ops.quote_name(column)
    # SQLite keeps a UUID as 32 hex digits, PostgreSQL as a uuid.
    key = str(pk).replace("-", "") if connection.vendor == "sqlite" else str(pk)
    query = f"SELECT {name} FROM {table} WHERE id = %s"  # noqa: S608 (quoted model names)
    with connection.cursor() as cursor:
        cursor.execute(query, [key])
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def signed_in(user: User) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser

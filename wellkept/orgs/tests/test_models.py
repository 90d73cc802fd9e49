"""Database constraints hold even for writes that bypass the services."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import ForeignKey

from wellkept.accounts.models import User
from wellkept.orgs.models import Participant, RoleCategory, Unit, UnitKind
from wellkept.orgs.services import participant_enrol

from .conftest import Hospital

pytestmark = pytest.mark.django_db


def refused(**values: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(**values)


def test_a_participant_has_no_column_that_leads_to_a_login() -> None:
    for field in Participant._meta.concrete_fields:
        assert field.name not in {"user", "name", "email", "display_name"}
        if isinstance(field, ForeignKey):
            assert field.related_model is not User
            assert field.related_model._meta.label != settings.AUTH_USER_MODEL


def test_no_stored_value_of_a_participant_names_the_login(st_annes: Hospital, nina: User) -> None:
    participant = participant_enrol(
        actor=nina,
        user=nina,
        organisation=st_annes.org,
        unit=st_annes.ccu,
        shift_type=st_annes.day,
        role_category=RoleCategory.NURSE,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM orgs_participant")
        row = " ".join(str(v) for v in cursor.fetchone()).lower()
    assert participant.token.lower() in row  # the query did read the row
    for trace in (str(nina.pk), nina.pk.hex, "nina"):
        assert trace not in row


def test_the_database_refuses_a_top_level_unit_that_is_not_a_hospital(
    st_annes: Hospital,
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            organisation=st_annes.org, kind=UnitKind.DEPARTMENT, name="X", slug="x", path="x/"
        )


def test_the_database_refuses_a_hospital_under_a_parent(st_annes: Hospital) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            organisation=st_annes.org,
            parent=st_annes.hospital,
            kind=UnitKind.HOSPITAL,
            name="X",
            slug="x",
            path=st_annes.hospital.path + "x/",
        )


def test_the_database_refuses_two_units_with_one_path(st_annes: Hospital) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            organisation=st_annes.org,
            parent=st_annes.hospital,
            kind=UnitKind.DEPARTMENT,
            name="Cardiology again",
            slug="x",
            path=st_annes.cardiology.path,
        )


def test_the_database_refuses_short_tokens_and_links(st_annes: Hospital) -> None:
    placement = {
        "organisation": st_annes.org,
        "unit": st_annes.ccu,
        "shift_type": st_annes.day,
        "role_category": RoleCategory.NURSE,
    }
    refused(token="abc", login_link="a" * 64, **placement)
    refused(login_link="", **placement)


def test_the_database_refuses_an_unknown_role_category(st_annes: Hospital) -> None:
    refused(
        login_link="b" * 64,
        organisation=st_annes.org,
        unit=st_annes.ccu,
        shift_type=st_annes.day,
        role_category="surgeon",
    )


def test_the_database_refuses_two_rows_with_one_login_link(st_annes: Hospital) -> None:
    placement = {
        "organisation": st_annes.org,
        "unit": st_annes.ccu,
        "shift_type": st_annes.day,
        "role_category": RoleCategory.NURSE,
    }
    Participant.objects.create(login_link="c" * 64, **placement)
    refused(login_link="c" * 64, **placement)

"""St Anne's with a week of pulse check-ins behind it, for the dashboards.

Nine nurses on Ward 7 (day shift) and two on Intensive care (night shift)
answered last week's PHQ-2: enough for the organisation and the ward to be
shown, too few for Intensive care, which must show as hidden. Every staff
member has an authenticator app, as staff must.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.assessments.services import (
    checkin_save_answers,
    checkin_start,
    checkin_submit,
    programme_join,
)
from wellkept.assessments.tests.fixtures import SYSTEM, Hospital, make_clinician
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Role, RoleCategory

__all__ = ["build_answered", "build_staffed"]

ANSWERS = [(0, 1), (1, 1), (2, 1), (0, 0), (3, 2), (1, 2), (0, 1), (2, 2), (1, 0)]
ICU_ANSWERS = [(3, 3), (2, 3)]


def _answer(h: Hospital, user: User, participant: Any, phq2: tuple[int, int]) -> None:
    checkin = checkin_start(actor=user, participant=participant, schedule=h.pulse)
    checkin_save_answers(
        actor=user,
        checkin=checkin,
        instrument_code="phq2",
        answers={"phq2_1": phq2[0], "phq2_2": phq2[1]},
    )
    checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="burnout1", answers={"burnout1_1": 2}
    )
    checkin_submit(actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key)


def _staff(h: Hospital) -> Hospital:
    for name, role in (("sam", Role.SPECIALIST), ("fran", Role.FRONT_DESK)):
        user = User.objects.create_user(f"{name}@st-annes.example", None)
        org_services.staff_membership_grant(
            actor=SYSTEM, user=user, organisation=h.organisation, role=role
        )
        h.people[name] = user
    for name in ("lena", "amira", "priya", "wendy", "sam", "fran"):
        TOTP.activate(h.people[name], generate_totp_secret())
    return h


def build_staffed(h: Hospital, monkeypatch: pytest.MonkeyPatch) -> Hospital:
    """Give St Anne's every staff role (MFA on), once."""
    return h if "sam" in h.people else _staff(h)


def build_answered(h: Hospital, monkeypatch: pytest.MonkeyPatch) -> Hospital:
    """Add last week's pulse answers (Ward 7 and two in Intensive care) and every staff role."""
    now = clock.now()
    # Wednesday of last week: a closed period by the time the dashboard is read.
    last_week = now - dt.timedelta(days=now.weekday() + 5)
    monkeypatch.setattr(clock, "now", lambda: last_week)
    people = [("joe", h.participants["joe"]), ("sara", h.participants["sara"])]
    for n in range(7):
        user = make_clinician(h.organisation, f"ward{n}@st-annes.example")
        people.append((f"ward{n}", programme_join(
            actor=user, organisation=h.organisation, notice=h.notice, unit=h.ward,
            shift_type=h.day, role_category=RoleCategory.NURSE,
            follow_up_contact=False, safety_alert=False,
        )))  # fmt: skip
        h.people[f"ward{n}"] = user
    for (name, participant), phq2 in zip(people, ANSWERS, strict=True):
        _answer(h, h.people[name], participant, phq2)
    for n, phq2 in enumerate(ICU_ANSWERS):
        user = make_clinician(h.organisation, f"icu{n}@st-annes.example")
        participant = programme_join(
            actor=user, organisation=h.organisation, notice=h.notice, unit=h.icu,
            shift_type=h.night, role_category=RoleCategory.PHYSICIAN,
            follow_up_contact=False, safety_alert=False,
        )  # fmt: skip
        h.people[f"icu{n}"] = user
        _answer(h, user, participant, phq2)
    monkeypatch.setattr(clock, "now", lambda: now)
    return build_staffed(h, monkeypatch)

"""The synthetic hospital and its people: pure data, no database.

Everything here is invented. Names come from the short lists below and are
combined by a seeded random generator, so every run builds the same people
and the printed logins stay valid.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass

from wellkept.orgs.models import Role, RoleCategory

ORGANISATION_NAME = "St Brigid's General Hospital"
ORGANISATION_SLUG = "st-brigids-demo"
EMAIL_DOMAIN = "demo.wellkept.invalid"  # .invalid is reserved (RFC 2606): mail can never leave.
DEFAULT_PARTICIPANTS = 320
RANDOM_SEED = 20260301

# Long passphrases that pass the password rules (15+ characters, not on the
# common lists, no part of the e-mail address in them).
STAFF_PASSWORD = "demo-staff-harbour-lantern-7"  # noqa: S105 - published demo credential
PARTICIPANT_PASSWORD = "demo-clinician-meadow-compass-3"  # noqa: S105 - published demo credential
# The demo client's portal login (issue 19): no second factor, as a client may choose.
CLIENT_PASSWORD = "demo-client-harbour-kite-5"  # noqa: S105 - published demo credential
# A minor client's guardian's portal login (issue 19): no second factor either.
GUARDIAN_PASSWORD = "demo-guardian-harbour-swift-8"  # noqa: S105 - published demo credential


# --- The hospital ---------------------------------------------------------------
#
# Each department: name, relative headcount, opening profile ("24h" wards
# staff nights; "day" services mostly do not), staffing profile, and the units
# inside it. Headcounts and mixes are rough but plausible for a 400-bed
# general hospital, so the demo dashboards show the uneven group sizes that
# make small-cell suppression matter.


@dataclass(frozen=True)
class DepartmentSpec:
    name: str
    headcount: int
    hours: str
    staffing: str
    units: tuple[str, ...] = ()


DIVISIONS: tuple[tuple[str, tuple[DepartmentSpec, ...]], ...] = (
    (
        "Division of Medicine",
        (
            DepartmentSpec(
                "Internal Medicine", 34, "24h", "ward", ("Acute Medical Unit", "Ward 4A", "Ward 4B")
            ),
            DepartmentSpec(
                "Cardiology", 22, "24h", "ward", ("Coronary Care Unit", "Cardiac Catheter Lab")
            ),
            DepartmentSpec(
                "Oncology", 20, "day", "ward", ("Day Oncology Unit", "Inpatient Oncology Ward")
            ),
            DepartmentSpec("Geriatric Medicine", 16, "24h", "ward"),
        ),
    ),
    (
        "Division of Surgery and Critical Care",
        (
            DepartmentSpec(
                "Emergency Department",
                40,
                "24h",
                "ward",
                ("Resuscitation", "Majors", "Minor Injuries Unit"),
            ),
            DepartmentSpec(
                "Intensive Care", 30, "24h", "ward", ("General ICU", "High Dependency Unit")
            ),
            DepartmentSpec("Surgery", 28, "24h", "ward", ("Surgical Ward 6", "Day Surgery Unit")),
            DepartmentSpec("Anaesthesia", 18, "24h", "anaesthesia"),
            DepartmentSpec("Orthopaedics", 14, "24h", "ward"),
        ),
    ),
    (
        "Division of Women's and Children's Health",
        (
            DepartmentSpec(
                "Paediatrics", 24, "24h", "ward", ("Children's Ward", "Neonatal Intensive Care")
            ),
            DepartmentSpec(
                "Obstetrics and Gynaecology", 22, "24h", "ward", ("Labour Ward", "Postnatal Ward")
            ),
        ),
    ),
    (
        "Division of Mental Health and Clinical Support",
        (
            DepartmentSpec(
                "Psychiatry",
                18,
                "24h",
                "mental_health",
                ("Acute Psychiatric Unit", "Liaison Psychiatry"),
            ),
            DepartmentSpec("Radiology", 14, "day", "imaging"),
        ),
    ),
)

SHIFT_TYPES: tuple[tuple[str, str], ...] = (
    ("day", "Day"),
    ("evening", "Evening"),
    ("night", "Night"),
    ("rotating", "Rotating"),
)

# Relative weights of each shift type by opening profile.
SHIFT_MIX: dict[str, dict[str, int]] = {
    "24h": {"day": 40, "evening": 10, "night": 18, "rotating": 32},
    "day": {"day": 82, "evening": 12, "night": 0, "rotating": 6},
}

# Relative weights of each role category by staffing profile.
STAFFING_MIX: dict[str, dict[RoleCategory, int]] = {
    "ward": {
        RoleCategory.NURSE: 48,
        RoleCategory.PHYSICIAN: 15,
        RoleCategory.RESIDENT: 13,
        RoleCategory.ADVANCED_PRACTICE: 7,
        RoleCategory.ALLIED_HEALTH: 11,
        RoleCategory.OTHER: 6,
    },
    "anaesthesia": {
        RoleCategory.PHYSICIAN: 44,
        RoleCategory.RESIDENT: 26,
        RoleCategory.NURSE: 18,
        RoleCategory.ADVANCED_PRACTICE: 9,
        RoleCategory.OTHER: 3,
    },
    "mental_health": {
        RoleCategory.NURSE: 36,
        RoleCategory.PHYSICIAN: 16,
        RoleCategory.RESIDENT: 10,
        RoleCategory.ADVANCED_PRACTICE: 8,
        RoleCategory.ALLIED_HEALTH: 24,
        RoleCategory.OTHER: 6,
    },
    "imaging": {
        RoleCategory.ALLIED_HEALTH: 46,
        RoleCategory.PHYSICIAN: 22,
        RoleCategory.RESIDENT: 10,
        RoleCategory.NURSE: 12,
        RoleCategory.ADVANCED_PRACTICE: 3,
        RoleCategory.OTHER: 7,
    },
}

# Nurses and support staff belong to a ward or unit; doctors and allied
# professionals are often attached to the department as a whole.
UNIT_BOUND = {RoleCategory.NURSE, RoleCategory.ADVANCED_PRACTICE, RoleCategory.OTHER}

FIRST_NAMES = (
    "Aoife", "Amara", "Ananya", "Beatriz", "Bilal", "Camille", "Chidi", "Ciara", "Dmitri",
    "Eamon", "Elif", "Emeka", "Farah", "Fiona", "Gabriel", "Hana", "Hamza", "Ines", "Isaac",
    "Jun", "Kasia", "Kofi", "Lars", "Leila", "Liam", "Lucia", "Malik", "Mei", "Niamh", "Nikos",
    "Noor", "Olu", "Oscar", "Priya", "Rafael", "Rana", "Ronan", "Saoirse", "Sanjay", "Sofia",
    "Tariq", "Thandi", "Tomasz", "Una", "Valentina", "Wei", "Yusuf", "Zainab", "Zoltan",
    "Maeve",
)  # fmt: skip

LAST_NAMES = (
    "Adeyemi", "Ahmed", "Andersen", "Byrne", "Chen", "Costa", "Doyle", "Dubois", "Fitzgerald",
    "Garcia", "Haddad", "Hughes", "Ibrahim", "Ivanova", "Jensen", "Kaur", "Kelly", "Kowalski",
    "Lynch", "Mensah", "Moreau", "Murphy", "Nakamura", "Novak", "Nowak", "Okafor", "Oliveira",
    "Osei", "Papadopoulos", "Patel", "Quinn", "Rahman", "Reilly", "Rossi", "Ryan", "Santos",
    "Schmidt", "Sharma", "Silva", "Tanaka", "Walsh", "Wang", "Yilmaz", "Zhang", "Ndlovu",
)  # fmt: skip


@dataclass(frozen=True)
class StaffSpec:
    role: Role
    local_part: str
    display_name: str
    # How the printed login table names this account, when the role alone
    # would not tell two accounts apart.
    label: str = ""

    @property
    def printed_as(self) -> str:
        return self.label or str(self.role.label)


STAFF: tuple[StaffSpec, ...] = (
    StaffSpec(Role.LEADER, "leader", "Dr Aoife Byrne"),
    StaffSpec(Role.WELLBEING_OFFICER, "wellbeing.officer", "Thandi Mensah"),
    StaffSpec(Role.SPECIALIST, "specialist", "Dr Rafael Costa"),
    # The staff-support practice (wellkept.demo.practice): a second
    # therapist, a trainee whom the clinical supervisor oversees, and
    # billing; the front desk and the specialist above work there too.
    StaffSpec(Role.SPECIALIST, "therapist", "Dr Ines Moreau", label="Second therapist"),
    StaffSpec(Role.SPECIALIST, "trainee", "Oscar Lynch", label="Trainee (supervised)"),
    StaffSpec(Role.CLINICAL_SUPERVISOR, "clinical.supervisor", "Dr Grace Okafor"),
    StaffSpec(Role.FRONT_DESK, "front.desk", "Kasia Nowak"),
    StaffSpec(Role.BILLING, "billing", "Tomasz Walsh"),
    StaffSpec(Role.PRIVACY_OFFICER, "privacy.officer", "Yusuf Haddad"),
    # A second privacy officer: a data-subject request recorded by one is
    # approved by another, so the demo can show the whole two-person step.
    StaffSpec(
        Role.PRIVACY_OFFICER,
        "deputy.privacy.officer",
        "Mei Tanaka",
        label="Second privacy officer",
    ),
    StaffSpec(Role.SYSTEM_ADMIN, "sysadmin", "Lars Jensen"),
)


@dataclass(frozen=True)
class DemoPerson:
    """A synthetic clinician: who they are and where they work."""

    email: str
    display_name: str
    department: str
    unit: str | None
    shift_code: str
    role_category: RoleCategory


def demo_email(local_part: str) -> str:
    return f"{local_part}@{EMAIL_DOMAIN}"


def demo_totp_secret(email: str) -> str:
    """Return the fixed, published base32 TOTP secret of a demo account.

    Derived from the address so that a re-run prints the same secrets and an
    authenticator app set up once keeps working. Never use this outside the demo.
    """
    digest = hashlib.sha256(f"wellkept-demo-totp|{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def demo_people(count: int) -> list[DemoPerson]:
    """Return ``count`` synthetic clinicians; the same list on every call."""
    # A fixed seed, not secrets: the demo must be reproducible, and nothing
    # about these invented people is secret.
    rng = random.Random(RANDOM_SEED)  # noqa: S311
    departments = [spec for _division, specs in DIVISIONS for spec in specs]
    weights = [spec.headcount for spec in departments]
    people: list[DemoPerson] = []
    used: set[str] = set()
    for _ in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower()
        local, n = base, 2
        while local in used:
            local, n = f"{base}{n}", n + 1
        used.add(local)
        spec = rng.choices(departments, weights=weights)[0]
        mix = STAFFING_MIX[spec.staffing]
        category = rng.choices(list(mix), weights=list(mix.values()))[0]
        shifts = SHIFT_MIX[spec.hours]
        shift_code = rng.choices(list(shifts), weights=list(shifts.values()))[0]
        unit: str | None = None
        if spec.units and (category in UNIT_BOUND or rng.random() < 0.4):
            unit = rng.choice(spec.units)
        people.append(
            DemoPerson(
                email=demo_email(local),
                display_name=f"{first} {last}",
                department=spec.name,
                unit=unit,
                shift_code=shift_code,
                role_category=category,
            )
        )
    return people

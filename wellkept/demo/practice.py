"""The demo's confidential practice: the hospital's staff-support service and its clients.

Seeded through the practice's own services (intake, assignment,
supervision), so every client is stored exactly as the front desk would
store one: encrypted under the client's key, indexed by name, audited.
The clients are invented and their names say so.
"""

from __future__ import annotations

import datetime as dt
import random

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.orgs.models import Organisation
from wellkept.practice import services
from wellkept.practice.models import ContactChannel
from wellkept.practice.services import GuardianDetails, Intake

# Clearly made up: nobody is called this.
CLIENT_NAMES = (
    ("Avery", "Placeholder"),
    ("Blake", "Samplewood"),
    ("Casey", "Fictionby"),
    ("Devon", "Mockridge"),
    ("Emery", "Dummett-Lane"),
    ("Finley", "Testcombe"),
    ("Gray", "Exampleton"),
    ("Harper", "Nonesuch"),
    ("Indigo", "Pretendale"),
    ("Jules", "Madeupson"),
    ("Kai", "Inventry"),
    ("Lane", "Imaginor"),
)
# The one minor among them (a staff member's child seen by the service).
MINOR_INDEX = 7
SEED = 18


def seed_practice(
    *,
    actor: SystemActor,
    organisation: Organisation,
    therapists: list[User],
    supervisor: User,
) -> int:
    """Take the demo clients in, give each a therapist, and set up supervision; return how many."""
    services.supervision_start(
        actor=actor, organisation=organisation, supervisor=supervisor, supervisee=therapists[-1]
    )
    # A fixed seed: the same demo on every run; nothing here is secret.
    rng = random.Random(SEED)  # noqa: S311
    today = clock.now().astimezone(dt.UTC).date()
    for index, (first, last) in enumerate(CLIENT_NAMES):
        age = 14 if index == MINOR_INDEX else rng.randint(21, 64)
        born = today.replace(
            year=today.year - age, month=rng.randint(1, 12), day=rng.randint(1, 28)
        )
        if born > today.replace(year=today.year - age):
            born = born.replace(year=born.year - 1)
        local = f"{first}.{last}".lower()
        intake = Intake(
            legal_name=f"{first} {last}",
            preferred_name=first,
            pronouns=rng.choice(("she/her", "he/him", "they/them")),
            date_of_birth=born,
            email=f"{local}@demo-client.invalid",
            phone=f"0800 000 {1000 + index:04d}",
            contact_channels=(ContactChannel.EMAIL, ContactChannel.TEXT)
            if index % 3
            else (ContactChannel.PHONE,),
            voicemail_ok=index % 2 == 0,
            emergency_name=f"Sam {last}",
            emergency_relation=rng.choice(("partner", "sibling", "friend", "parent")),
            emergency_phone=f"0800 000 {2000 + index:04d}",
            referral_source=rng.choice(("Self-referral", "Occupational health", "GP (demo)")),
            insurance_payer="Demo Staff Scheme",
            insurance_member_id=f"DEMO-{4000 + index}",
        )
        guardian = (
            GuardianDetails(
                name=f"Robin {last}", relation="parent", phone=f"0800 000 {3000 + index:04d}"
            )
            if index == MINOR_INDEX
            else None
        )
        client = services.client_create(
            actor=actor, organisation=organisation, intake=intake, guardian=guardian
        )
        services.client_assign(
            actor=actor, client=client, therapist=therapists[index % len(therapists)]
        )
    return len(CLIENT_NAMES)

"""Synthetic check-ins in bulk: a year of a hospital's answers in minutes, still sealed per person.

Used by `wellkept seed`, `wellkept seed_demo` and the benchmarks; refused in
production. The answers come from a small latent model (``model``) so that
dashboards show what real programmes show: night and rotating shifts and
intensive care worse than day clinics, winter and the summer staffing gap
worse than spring, about a third of people reporting burnout.

What makes it fast is what a web request cannot do (``checkins``): answers
are drawn, scored and encrypted for a batch of people first, then inserted
in one transaction per batch. What it keeps from the ordinary path: every
payload is the one ``checkin_submit`` would store (same scoring, same
``_payload``), encrypted by the vault under the participant's own data key
and bound to its table, row, field and subject exactly as
``EncryptedTextField`` binds it, so the rows read back like any other. What
it leaves out on purpose: the per-check-in policy decision and audit event.
A run is one ``data.seeded`` event with its counts instead; a synthetic
person has no one to be accountable to, and a million audit entries would
bury the real ones.

``setup`` makes the rest: a synthetic organisation, its programme and
notice, and participants who consented.
"""

from wellkept.demo.bulk.base import (
    MAX_PARTICIPANTS,
    MAX_WEEKS,
    SEED_ACTOR,
    SeedError,
    refuse_in_production,
)
from wellkept.demo.bulk.checkins import (
    SeedCounts,
    payload_binding,
    seed_checkins,
    seeded_before,
)
from wellkept.demo.bulk.model import (
    SHIFT_EFFECT,
    Person,
    answers_for,
    season_effect,
    unit_effect,
)
from wellkept.demo.bulk.setup import (
    RESOURCES,
    SCHEDULES,
    SYNTHETIC_CONTACT,
    SYNTHETIC_NAME,
    SYNTHETIC_SLUG,
    notice_ensure,
    participants_by_id,
    programme_ensure,
    seed_participants,
    synthetic_organisation,
)

__all__ = [
    "MAX_PARTICIPANTS",
    "MAX_WEEKS",
    "RESOURCES",
    "SCHEDULES",
    "SEED_ACTOR",
    "SHIFT_EFFECT",
    "SYNTHETIC_CONTACT",
    "SYNTHETIC_NAME",
    "SYNTHETIC_SLUG",
    "Person",
    "SeedCounts",
    "SeedError",
    "answers_for",
    "notice_ensure",
    "participants_by_id",
    "payload_binding",
    "programme_ensure",
    "refuse_in_production",
    "season_effect",
    "seed_checkins",
    "seed_participants",
    "seeded_before",
    "synthetic_organisation",
    "unit_effect",
]

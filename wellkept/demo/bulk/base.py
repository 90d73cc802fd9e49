"""What every part of the seeding shares: who acts, the limits, and the refusal in production."""

from __future__ import annotations

from django.conf import settings

from wellkept.actors import SystemActor

SEED_ACTOR = SystemActor("seed")

# Limits of the command line; seed_checkins itself only needs weeks >= 1.
MAX_PARTICIPANTS = 1_000_000
MAX_WEEKS = 520


class SeedError(Exception):
    """Synthetic data cannot be seeded; the message says why and what to do."""


def refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise SeedError(
            "Synthetic data is for development and benchmarks only and is refused when "
            "WELLKEPT_ENV=production: it would mix invented answers into real aggregates."
        )

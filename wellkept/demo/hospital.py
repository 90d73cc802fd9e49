"""The demo organisation: a synthetic hospital, its clinicians and one account per staff role.

``people`` holds the invented data (no database); ``seeding`` writes it
through the ordinary services; ``bulk`` adds synthetic check-ins fast. Used
by `wellkept seed_demo`, `wellkept seed`, `wellkept demo_totp` and the
benchmarks; never in production. The app sits on the top layer, so it may
use every other app's services (docs/architecture.md).
"""

from wellkept.demo.people import (
    CLIENT_PASSWORD,
    DEFAULT_PARTICIPANTS,
    EMAIL_DOMAIN,
    GUARDIAN_PASSWORD,
    PARTICIPANT_PASSWORD,
    STAFF_PASSWORD,
    demo_email,
    demo_people,
    demo_totp_secret,
)
from wellkept.demo.seeding import DemoError, DemoSummary, demo_account, demo_seed

__all__ = [
    "CLIENT_PASSWORD",
    "DEFAULT_PARTICIPANTS",
    "EMAIL_DOMAIN",
    "GUARDIAN_PASSWORD",
    "PARTICIPANT_PASSWORD",
    "STAFF_PASSWORD",
    "DemoError",
    "DemoSummary",
    "demo_account",
    "demo_email",
    "demo_people",
    "demo_seed",
    "demo_totp_secret",
]

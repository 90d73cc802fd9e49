"""The demo organisation: a synthetic hospital, its clinicians and one account per staff role.

``people`` holds the invented data (no database); ``seeding`` writes it
through the ordinary services. Used by `wellkept seed_demo` and
`wellkept demo_totp`; never in production.
"""

from wellkept.orgs.demo.people import (
    DEFAULT_PARTICIPANTS,
    EMAIL_DOMAIN,
    PARTICIPANT_PASSWORD,
    STAFF_PASSWORD,
    demo_email,
    demo_people,
    demo_totp_secret,
)
from wellkept.orgs.demo.seeding import DemoError, DemoSummary, demo_account, demo_seed

__all__ = [
    "DEFAULT_PARTICIPANTS",
    "EMAIL_DOMAIN",
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

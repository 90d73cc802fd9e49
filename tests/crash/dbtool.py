"""Set up and read back the crash test's database, in a process of its own.

Run by tests/crash/test_sigkill.py with the server's environment (its own
SQLite file and key file), never inside the test process, whose Django is
pointed at the test database::

    python tests/crash/dbtool.py setup   # sysadmin with TOTP; prints JSON
    python tests/crash/dbtool.py dump    # invitation addresses, decrypted; prints JSON
"""

from __future__ import annotations

import json
import os
import secrets
import sys


def setup() -> dict:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from wellkept.accounts.models import User
    from wellkept.orgs.models import Organisation, Role, StaffMembership

    email = "crash-admin@example.org"
    password = secrets.token_urlsafe(24)
    organisation = Organisation.objects.create(name="Crash Test Hospital", slug="crash-test")
    user = User.objects.create_user(email, password)
    StaffMembership.objects.create(user=user, organisation=organisation, role=Role.SYSTEM_ADMIN)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return {
        "email": email,
        "password": password,
        "totp_secret": secret,
        "organisation": str(organisation.pk),
    }


def dump() -> dict:
    """Every invitation's address that decrypts, and the ids of rows that do not."""
    from wellkept.accounts.models import Invitation

    readable: list[str] = []
    unreadable: list[str] = []
    for invitation in Invitation.objects.order_by("created_at").iterator():
        try:
            email = invitation.email
        except Exception as exc:  # any failure to decrypt is a finding
            unreadable.append(f"{invitation.pk}: {type(exc).__name__}")
            continue
        if isinstance(email, str):
            readable.append(email)
        else:
            unreadable.append(f"{invitation.pk}: {email!r}")
    return {"emails": readable, "unreadable": unreadable}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")
    import django

    django.setup()
    actions = {"setup": setup, "dump": dump}
    result = actions[sys.argv[1]]()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()

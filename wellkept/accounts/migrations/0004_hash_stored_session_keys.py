"""Store every existing session under a hash of its key (wellkept.accounts.sessions).

Sessions that existed before keep working: their rows move to the stored
form the new session store looks up. The cookie's key cannot be recovered
from the new rows, which is the point; the migration cannot be reversed.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from wellkept.accounts.sessions import STORED_PREFIX, stored_key


def hash_keys(apps: Any, schema_editor: Any) -> None:
    for model in (apps.get_model("sessions", "Session"), apps.get_model("usersessions", "UserSession")):
        keys = model.objects.exclude(session_key__startswith=STORED_PREFIX).values_list(
            "session_key", flat=True
        )
        for key in list(keys):
            model.objects.filter(session_key=key).update(session_key=stored_key(key))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_remove_invitation_invitation_role_valid_and_more"),
        ("sessions", "0001_initial"),
        ("usersessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(hash_keys, migrations.RunPython.noop)]

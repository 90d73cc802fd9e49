"""What a caller wants to do with a resource."""

from __future__ import annotations

from django.db import models


class Action(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"
    VIEW_AGGREGATE = "view_aggregate", "View aggregates"
    # Take a case from the follow-up queue and act on it.
    FOLLOW_UP = "follow_up", "Follow up"
    # Turn a token back into a name. Only an approved, time-limited
    # re-identification grant will allow it (a later issue); until then the
    # table gives it to nobody.
    READ_IDENTITY = "read_identity", "Read identity behind a token"

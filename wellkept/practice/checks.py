"""Production check for telehealth (issue 19): video appointments need the practice's Jitsi."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.security, checks.Tags.database)
def check_telehealth_configured(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Refuse production with video appointments booked and no Jitsi server to hold them."""
    if not settings.PRODUCTION or settings.WELLKEPT_JITSI_URL:
        return []
    from wellkept.practice.models import VideoRoom

    try:
        booked = VideoRoom.objects.exists()
    except DatabaseError:
        # Before the first migration there is nothing to check.
        return []
    if not booked:
        return []
    return [
        checks.Error(
            "Video appointments exist but no Jitsi server is configured: no join link can "
            "be issued.",
            hint="Set WELLKEPT_JITSI_URL, WELLKEPT_JITSI_APP_ID and WELLKEPT_JITSI_APP_SECRET_FILE "
            "(docs/admin-guide.md, Telehealth).",
            id="wellkept.E050",
        )
    ]

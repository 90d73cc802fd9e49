from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def wellkept(request: HttpRequest) -> dict[str, Any]:
    return {
        "session_idle_seconds": settings.WELLKEPT_SESSION_IDLE_SECONDS,
        "session_warning_seconds": settings.WELLKEPT_SESSION_WARNING_SECONDS,
    }

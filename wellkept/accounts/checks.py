"""System checks for sign-in: refuse production settings that defeat the back-off."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def check_client_address_source(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Behind a proxy, the client address must come from a trusted header."""
    if not (settings.PRODUCTION and settings.WELLKEPT_BEHIND_PROXY):
        return []
    if settings.ALLAUTH_TRUSTED_PROXY_COUNT or settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER:
        return []
    # Otherwise every request seems to come from the proxy: the back-off's
    # per-network counter and allauth's rate limits would count the whole
    # site as one client.
    return [
        checks.Error(
            "WELLKEPT_BEHIND_PROXY is on but Wellkept cannot tell clients apart: "
            "every request would seem to come from the proxy.",
            hint=(
                "Set WELLKEPT_TRUSTED_PROXY_COUNT to the number of proxies you run that "
                "append to X-Forwarded-For (usually 1), or WELLKEPT_TRUSTED_CLIENT_IP_HEADER "
                "to a header your proxy sets to the client address (e.g. X-Real-IP)."
            ),
            id="wellkept.E020",
        )
    ]

"""Make every staff member enrol a second factor before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from wellkept.accounts.selectors import user_has_mfa
from wellkept.orgs.selectors import user_is_staff

Handler = Callable[[HttpRequest], HttpResponse]

# Pages a staff member without a second factor may still reach: enrolment
# itself (an authenticator app or a passkey), the password re-entry allauth
# asks for before adding one, and signing out.
ENROLMENT_URL_NAMES = (
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "mfa_index",
    "account_reauthenticate",
    "account_logout",
    # The session-timeout script's polls, so the idle warning keeps working.
    "web:session_status",
    "web:session_keepalive",
)


def _allowed_paths() -> set[str]:
    paths = set()
    for name in ENROLMENT_URL_NAMES:
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue
    return paths


def mfa_enrolment_required(get_response: Handler) -> Handler:
    """Send a signed-in staff member without MFA to authenticator enrolment."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(settings.STATIC_URL)
            and request.path not in _allowed_paths()
            and user_is_staff(user)
            and not user_has_mfa(user)
        ):
            messages.info(
                request,
                "Your role gives access to other people's data, so your account needs "
                "two-factor authentication. Set up an authenticator app to continue.",
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return get_response(request)

    return middleware

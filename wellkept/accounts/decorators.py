"""``reauth_required``: a fresh proof of identity before a sensitive action."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from wellkept import clock
from wellkept.accounts.selectors import user_second_factor_types

View = TypeVar("View", bound=Callable[..., HttpResponse])

FUTURE_TOLERANCE_SECONDS = 5


def recently_authenticated(request: HttpRequest) -> bool:
    """True when the session holds a strong enough authentication within the window.

    With a second factor enrolled only an MFA step counts (at sign-in or a
    re-authentication); a participant without one must have given their
    password. allauth records each step in the session with its time.
    """
    user = request.user
    if not user.is_authenticated:
        return False
    method = "mfa" if user_second_factor_types(user) else "password"
    now = clock.now().timestamp()
    window = settings.WELLKEPT_REAUTH_SECONDS
    for record in get_authentication_records(request, user):
        at = record.get("at")
        # A record from the future does not count, beyond a few seconds
        # allowed for allauth timing with time.time() and us with the clock.
        if (
            record.get("method") == method
            and isinstance(at, int | float)
            and -FUTURE_TOLERANCE_SECONDS <= now - at <= window
        ):
            return True
    return False


def reauthentication_url(request: HttpRequest) -> str:
    """Where to prove identity again, coming back to this page afterwards."""
    user = request.user
    types = user_second_factor_types(user)
    if Authenticator.Type.TOTP in types:
        name = "mfa_reauthenticate"
    elif Authenticator.Type.WEBAUTHN in types:
        name = "mfa_reauthenticate_webauthn"
    else:
        # No second factor yet (a participant, or staff on the way to
        # enrolment, which needs this too): the password it is.
        name = "account_reauthenticate"
    return f"{reverse(name)}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"


def reauth_required(view_func: View) -> View:
    """Require an MFA authentication no older than WELLKEPT_REAUTH_SECONDS.

    Use on views that change how an account is protected or reveal secrets.
    A POST that needs re-authentication is not replayed
    afterwards: the person comes back to the page and submits it again,
    which is simpler than parking form data (possibly personal) in the session.
    """

    @wraps(view_func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            # Only reachable from a view exempt from LoginRequiredMiddleware.
            return redirect_to_login(request.get_full_path())
        if recently_authenticated(request):
            return view_func(request, *args, **kwargs)
        return HttpResponseRedirect(reauthentication_url(request))

    return wrapper  # type: ignore[return-value]

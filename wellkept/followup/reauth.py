"""Fresh proof of identity, asked for only after the access decision.

``accounts.decorators.reauth_required`` runs before the view; on these
pages the policy decides first, so that someone who may not see the page
gets the same 404 as for one that does not exist, and never a prompt that
tells them it does.
"""

from __future__ import annotations

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import urlencode

from wellkept.accounts.decorators import reauthentication_url, recently_authenticated
from wellkept.accounts.selectors import user_has_mfa


def fresh(request: HttpRequest) -> bool:
    """True when the person proved their second factor within the re-authentication window."""
    return user_has_mfa(request.user) and recently_authenticated(request)


def reauthenticate_then(request: HttpRequest, path: str) -> HttpResponseRedirect:
    """Send the person to prove their second factor, then back to ``path``."""
    base = reauthentication_url(request).split("?", 1)[0]
    return HttpResponseRedirect(f"{base}?{urlencode({REDIRECT_FIELD_NAME: path})}")

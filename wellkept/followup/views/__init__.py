"""The followup pages, one module per audience, and what their form targets share."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect


def refusal(request: HttpRequest, exc: Exception) -> None:
    """Show why a service refused, in its own words (what is wrong and what to do)."""
    messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))


def act_then_back(
    request: HttpRequest, *, act: Callable[[], object], done: str, back: str
) -> HttpResponseRedirect:
    """Do ``act`` and go back to ``back``, saying what was done or what stopped it.

    Each form target has found its case or grant through its accessor first
    (404 for anyone else); the service then decides again and says why it
    refuses (a case someone else took, a grant already decided). That goes
    on the page the person came from, never as a 500.
    """
    try:
        act()
    except (PermissionDenied, ValidationError) as exc:
        refusal(request, exc)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(back)

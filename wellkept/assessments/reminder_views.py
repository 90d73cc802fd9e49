"""The unsubscribe link in reminder e-mails: a confirmation page; a POST turns reminders off."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wellkept.access.decorators import public
from wellkept.assessments.reminders import (
    InvalidUnsubscribeLink,
    reminders_unsubscribe,
    unsubscribe_link_read,
)


@public
@login_not_required
@never_cache
# The one-click unsubscribe of RFC 8058: the recipient's mail provider POSTs
# "List-Unsubscribe=One-Click" to this URL from its own servers, with no
# cookie and no CSRF token, so the usual check would refuse every one of
# them. The signed value in the URL is the only authority here: a forged
# cross-site POST could at worst turn off the reminders of the person whose
# link the forger already holds, which the link itself lets them do anyway.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    """GET: ask for confirmation (mail scanners follow links). POST: turn reminders off."""
    try:
        if request.method == "POST":
            reminders_unsubscribe(signed=signed)
            return render(request, "assessments/reminders/unsubscribed.html")
        unsubscribe_link_read(signed)
    except InvalidUnsubscribeLink:
        return render(request, "assessments/reminders/unsubscribe_invalid.html", status=400)
    return render(request, "assessments/reminders/unsubscribe.html", {"signed": signed})

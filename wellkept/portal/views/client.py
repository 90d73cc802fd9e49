"""The client's own portal pages, and accepting an invitation to it.

Every page is declared a read of the client's own portal and found through
``selectors.own_page``: the signed-in login's one membership, decided and
audited for that page. Staff, participants and anyone else without a
membership get the same audited 404 as a page that does not exist.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy, public
from wellkept.access.guards import has_second_factor, signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts import session_secrets
from wellkept.actors import AuthenticatedRequest
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.messaging.selectors import own_unread_count
from wellkept.portal import selectors, services
from wellkept.portal.forms import PortalAcceptForm
from wellkept.practice import superbill
from wellkept.practice.services import format_money

OWN = PolicyScope(resource=ResourceKind.PORTAL, purpose=Purpose.SELF_SERVICE)
INVITATION_SESSION_KEY = "wellkept.portal_invitation_token"
# How many upcoming appointments the home page lists.
HOME_APPOINTMENTS = 3


def _no_longer_valid(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/client/invitation_invalid.html", status=404)


@public
@login_not_required
@never_cache
@require_GET
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """Check a portal invitation link, park its token sealed in the session, drop it from URLs."""
    # Past this redirect the token is in no URL: no access log, Referer
    # header or browser history holds it.
    invitation = services.portal_invitation_find_usable(token)
    if invitation is None:
        return _no_longer_valid(request)
    audit_record(
        actor=request.user,
        event=EventType.RECORD_READ,
        target=f"client:{invitation.client_id}/portal-invitation:{invitation.pk}",
        reason="portal invitation link opened",
        request=request,
    )
    session_secrets.seal(request.session, INVITATION_SESSION_KEY, token)
    return HttpResponseRedirect(reverse("portal:invitation_accept"))


@public
@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest) -> HttpResponse:
    """Let the invited client choose a password, sign them in, and offer a second factor."""
    token = session_secrets.unseal(request.session, INVITATION_SESSION_KEY)
    invitation = services.portal_invitation_find_usable(token) if token else None
    email = services.invitation_email(invitation) if invitation is not None else None
    if token is None or invitation is None or email is None:
        return _no_longer_valid(request)
    form = PortalAcceptForm(request.POST or None, email=email, mfa_required=False)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.portal_invitation_accept(
                token=token, password=form.cleaned_data["password1"]
            )
        except services.PortalInvitationInvalid:
            return _no_longer_valid(request)
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            login(request, user, backend="wellkept.accounts.backends.EmailBackend")
            # Proving the link and setting the password is a fresh password
            # authentication: adding an authenticator next asks for nothing more.
            record_authentication(request, user, method="password", reauthenticated=True)
            home = "portal:guardian_home" if invitation.guardian_id else "portal:home"
            return HttpResponseRedirect(reverse(home) + "?welcome=1")
    return render(
        request, "portal/client/invitation_accept.html", {"form": form, "invited_email": email}
    )


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The client's home: the next appointments, a second factor's offer, the other pages."""
    membership = selectors.own_page(actor=request.user, page="home", request=request)
    return render(
        request,
        "portal/client/home.html",
        {
            "client": membership.client,
            "upcoming": selectors.upcoming_appointments(membership.client, HOME_APPOINTMENTS),
            "has_second_factor": has_second_factor(request.user),
            "welcome": request.GET.get("welcome") == "1",
            # Issue 19, messaging: how many conversations wait to be read.
            "unread_messages": own_unread_count(membership.client, request.user),
        },
    )


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def appointments(request: AuthenticatedRequest) -> HttpResponse:
    """The client's upcoming and past appointments: when, with whom, where; never notes."""
    membership = selectors.own_page(actor=request.user, page="appointments", request=request)
    return render(
        request,
        "portal/client/appointments.html",
        {
            "upcoming": selectors.upcoming_appointments(membership.client),
            "past": selectors.past_appointments(membership.client),
            "hours": settings.WELLKEPT_PORTAL_NOTICE_HOURS,
        },
    )


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def invoices(request: AuthenticatedRequest) -> HttpResponse:
    """The client's invoices and balance, each invoice a PDF to download."""
    membership = selectors.own_page(actor=request.user, page="invoices", request=request)
    rows, balance = selectors.invoices(membership.client)
    return render(
        request,
        "portal/client/invoices.html",
        {
            "invoices": [(i, format_money(i.total, i.currency)) for i in rows],
            "charged": format_money(balance.charged, balance.currency),
            "paid": format_money(balance.paid, balance.currency),
            "due": format_money(balance.due, balance.currency),
            "owes": balance.due > 0,
        },
    )


@policy(action=Action.EXPORT, **OWN)
@signed_in
@never_cache
@require_GET
def invoice_download(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Download one of the client's own invoices as a PDF (an audited export)."""
    invoice, lines = selectors.own_invoice(actor=request.user, pk=pk, request=request)
    response = HttpResponse(
        superbill.invoice_as_pdf(invoice=invoice, lines=lines), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    return response


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def access_log(request: AuthenticatedRequest) -> HttpResponse:
    """Who accessed the client's record: who (name and role), when, what kind; never content."""
    membership = selectors.own_page(actor=request.user, page="access", request=request)
    return render(
        request,
        "portal/client/access.html",
        {
            "entries": selectors.access_log(membership.client, own_user_id=request.user.pk),
            "limit": selectors.ACCESS_LOG_LENGTH,
        },
    )

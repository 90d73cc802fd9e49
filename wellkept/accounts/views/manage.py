"""The system administrator's invitations: the list, a new one, revoking one.

Mounted at ``/manage/invitations/``. Only someone who administers an
organisation has these pages; anyone else gets the 404 of a page that does
not exist, and the policy decides and audits every listing and change.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import signed_in
from wellkept.access.policy import can, get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.forms import InvitationForm
from wellkept.accounts.selectors import (
    administered_organisations,
    invitations_visible_to,
)
from wellkept.accounts.services import (
    InvitationError,
    invitation_create,
    invitation_revoke,
)
from wellkept.accounts.views.account import signed_in_user
from wellkept.actors import AuthenticatedRequest


def _invitation_page(request: HttpRequest, form: InvitationForm, status: int = 200) -> HttpResponse:
    # Through the policy module, so the listing is decided and audited once.
    invitations = list(
        visible(
            request.user,
            Action.READ,
            invitations_visible_to(request.user),
            Purpose.SERVICE_ADMINISTRATION,
            request=request,
        )
    )
    return render(
        request,
        "accounts/manage/invitations.html",
        {"form": form, "invitations": invitations},
        status=status,
    )


@policy(
    action=Action.READ, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
@require_GET
@signed_in
def invitation_list(request: AuthenticatedRequest) -> HttpResponse:
    """List invitations with their status, with a form to send a new one."""
    organisations = administered_organisations(request.user)
    if not organisations.exists():
        # Not found, not forbidden: the page does not exist for other roles.
        raise Http404
    return _invitation_page(request, InvitationForm(organisations=organisations))


@policy(
    action=Action.CREATE, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
@require_POST
@signed_in
def invitation_new(request: AuthenticatedRequest) -> HttpResponse:
    """Send an invitation by e-mail."""
    organisations = administered_organisations(request.user)
    if not organisations.exists():
        raise Http404
    form = InvitationForm(request.POST, organisations=organisations)
    if not form.is_valid():
        return _invitation_page(request, form, status=400)
    organisation = form.cleaned_data["organisation"]
    target = Resource(
        kind=ResourceKind.ORG_CONFIG,
        reference=f"organisation:{organisation.pk}",
        organisation_id=organisation.pk,
    )
    if not can(
        request.user, Action.CREATE, target, Purpose.SERVICE_ADMINISTRATION, request=request
    ):
        raise Http404
    try:
        issued = invitation_create(
            actor=signed_in_user(request),
            organisation=form.cleaned_data["organisation"],
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
    except InvitationError as exc:
        form.add_error("email", str(exc))
        return _invitation_page(request, form, status=400)
    if issued.replaced:
        messages.success(
            request,
            "Invitation sent. The earlier invitation to this address was replaced: only the "
            "new link works.",
        )
    else:
        messages.success(request, "Invitation sent.")
    return redirect("accounts:invitation_list")


@policy(
    action=Action.UPDATE, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
@require_POST
@signed_in
def invitation_revoke_view(request: AuthenticatedRequest, invitation_id: UUID) -> HttpResponse:
    """Stop a pending invitation's link from working."""
    invitation = get_for(
        actor=request.user,
        queryset=invitations_visible_to(request.user),
        pk=invitation_id,
        action=Action.UPDATE,
        purpose=Purpose.SERVICE_ADMINISTRATION,
        request=request,
    )
    invitation_revoke(actor=signed_in_user(request), invitation=invitation)
    messages.success(request, "The invitation link no longer works.")
    return redirect("accounts:invitation_list")

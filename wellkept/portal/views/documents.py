"""The client's forms to sign (issue 19): read, sign by typing one's name, receipt, withdraw.

Every page decides on the client's own portal page ("forms") and finds a
form through ``selectors.own_document``: another client's form, a made-up
id and a staff login all get the same audited 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy
from wellkept.access.guards import signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.portal import selectors
from wellkept.portal.documents import portal_document_sign, portal_document_withdraw
from wellkept.practice import selectors as practice_selectors
from wellkept.practice import services as practice_services
from wellkept.practice.documents_receipt import receipt_response
from wellkept.practice.forms import DocumentSignForm
from wellkept.practice.views.acting import act_on_form, act_then_back

OWN = PolicyScope(resource=ResourceKind.PORTAL, purpose=Purpose.SELF_SERVICE)


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def forms(request: AuthenticatedRequest) -> HttpResponse:
    """The client's forms: those to sign, and those signed or withdrawn, each with its receipt."""
    membership = selectors.own_page(actor=request.user, page="forms", request=request)
    rows = practice_selectors.document_rows(membership.client)
    return render(
        request,
        "portal/client/forms.html",
        {
            "pending": [r for r in rows if r.signature.signed_at is None],
            "done": [r for r in rows if r.signature.signed_at is not None],
        },
    )


@policy(action=Action.UPDATE, **OWN, also=(Action.READ,))
@signed_in
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def form_sign(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Read one form and sign it by typing one's full legal name."""
    _membership, signature = selectors.own_document(actor=request.user, pk=pk, request=request)
    if signature.signed_at is not None:
        raise practice_selectors.signature_refused(
            request.user,
            f"client:{signature.client_id}/portal/forms/{pk}",
            request,
            "already signed",
        )
    form = DocumentSignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: portal_document_sign(
                actor=request.user,
                signature=signature,
                typed_name=form.cleaned_data["typed_name"],
                agreed=form.cleaned_data["agreed"],
                request=request,
            ),
            done="Thank you: your signature is recorded. You can download a receipt below.",
            then=reverse("portal:forms"),
        )
        if done is not None:
            return done
    return render(
        request,
        "portal/client/form_sign.html",
        {"signature": signature, "version": signature.version, "form": form},
    )


@policy(action=Action.EXPORT, **OWN)
@signed_in
@never_cache
@require_GET
def form_receipt(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Download the receipt of one of the client's signed forms."""
    _membership, signature = selectors.own_document(
        actor=request.user, pk=pk, request=request, action=Action.EXPORT
    )
    if signature.signed_at is None:
        raise practice_selectors.signature_refused(
            request.user, f"client:{signature.client_id}/portal/forms/{pk}", request, "not signed"
        )
    practice_services.document_receipt_record(
        actor=request.user, signature=signature, purpose=Purpose.SELF_SERVICE, request=request
    )
    return receipt_response(request, signature)


@policy(action=Action.UPDATE, **OWN)
@signed_in
@require_POST
def form_withdraw(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Withdraw one of the client's signed forms, where its kind allows it."""
    _membership, signature = selectors.own_document(
        actor=request.user, pk=pk, request=request, action=Action.UPDATE
    )
    return act_then_back(
        request,
        act=lambda: portal_document_withdraw(
            actor=request.user, signature=signature, request=request
        ),
        done="Your consent is withdrawn. Your therapist sees this on your record.",
        back=reverse("portal:forms"),
    )

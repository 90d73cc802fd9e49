"""Consent documents on a client's page (issue 19): states, asking to sign, signing in the office.

The client's therapists and their supervisors see which documents the
client has signed, has still to sign, withdrew, or signed in a version
that has since been replaced, and may download each signature's receipt.
Only a therapist working with the client asks for a signature or records
one typed by the client in the office. The front desk and billing get
"not found", as for everything clinical.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import org_query, practice_only
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.documents_receipt import receipt_response
from wellkept.practice.forms import DocumentRequestForm, DocumentSignForm
from wellkept.practice.models import Client
from wellkept.practice.scopes import client_record_resource
from wellkept.practice.views.acting import act_on_form

RECORD = ResourceKind.CLIENT_RECORD
PURPOSE = Purpose.CLINICAL_CARE
THERAPISTS = frozenset({AccessRole.SPECIALIST})
CLINICIANS = frozenset({AccessRole.SPECIALIST, AccessRole.CLINICAL_SUPERVISOR})


def _documents_url(client: Client, organisation: Organisation) -> str:
    return reverse("practice:client_documents", args=[client.pk]) + org_query(organisation)


def _client(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> Client:
    """The client, for someone who may act on their clinical record; else 404."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    if not can(request.user, Action.READ, client_record_resource(client), PURPOSE, request=request):
        raise Http404
    return client


def _is_their_therapist(request: AuthenticatedRequest, client: Client) -> bool:
    return any(t.pk == request.user.pk for t in selectors.current_therapists(client))


@policy(action=Action.READ, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-client-documents", roles=CLINICIANS)
@never_cache
@require_GET
def client_documents(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """List the client's consent documents and their states; a therapist may ask for more."""
    client = _client(request, organisation, pk)
    return render(
        request,
        "practice/practice/documents/client.html",
        {
            "organisation": organisation,
            "client": client,
            "rows": selectors.document_rows(client),
            "may_ask": _is_their_therapist(request, client),
            "form": DocumentRequestForm(),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-document-request", roles=THERAPISTS)
@require_POST
def document_request(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Ask the client to sign the latest version of one document, in the portal or the office."""
    client = _client(request, organisation, pk)
    form = DocumentRequestForm(request.POST)
    if form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.document_request(
                actor=request.user, client=client, kind=form.cleaned_data["kind"], request=request
            ),
            done="The client is asked to sign; it is under Forms to sign in their portal.",
            then=_documents_url(client, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/documents/client.html",
        {
            "organisation": organisation,
            "client": client,
            "rows": selectors.document_rows(client),
            "may_ask": True,
            "form": form,
            "org_query": org_query(organisation),
        },
        status=400,
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-document-sign", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def document_sign_in_office(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, signature_pk: Any
) -> HttpResponse:
    """Let the client read a document on the therapist's device and sign it by typing their name."""
    client = _client(request, organisation, pk)
    if not _is_their_therapist(request, client):
        raise selectors.signature_refused(
            request.user, f"client:{client.pk}/documents/{signature_pk}", request, "not a therapist"
        )
    signature = selectors.get_signature_for(
        actor=request.user, client=client, pk=signature_pk, request=request, action=Action.UPDATE
    )
    if signature.signed_at is not None:
        raise selectors.signature_refused(
            request.user, f"client:{client.pk}/documents/{signature.pk}", request, "already signed"
        )
    form = DocumentSignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.document_sign_in_office(
                actor=request.user,
                signature=signature,
                typed_name=form.cleaned_data["typed_name"],
                agreed=form.cleaned_data["agreed"],
                request=request,
            ),
            done="The client's signature is recorded.",
            then=_documents_url(client, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/documents/sign.html",
        {
            "organisation": organisation,
            "client": client,
            "signature": signature,
            "version": signature.version,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.READ, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-document-receipt", roles=CLINICIANS)
@never_cache
@require_GET
def document_receipt(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, signature_pk: Any
) -> HttpResponse:
    """Download the receipt of one of the client's signatures."""
    client = _client(request, organisation, pk)
    signature = selectors.get_signature_for(
        actor=request.user, client=client, pk=signature_pk, request=request
    )
    if signature.signed_at is None:
        raise selectors.signature_refused(
            request.user, f"client:{client.pk}/documents/{signature.pk}", request, "not signed"
        )
    services.document_receipt_record(
        actor=request.user, signature=signature, purpose=PURPOSE, request=request
    )
    return receipt_response(request, signature)

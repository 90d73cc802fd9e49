"""Release of information (issue 19): the therapist's pages and the recipient's.

Under ``/practice/clients/``: a client's release page (authorisations, legal
bases, disclosures), the forms that record them, the accounting of
disclosures (the privacy officer reads it too), and the recipient's
download page. Every page reads its client through
``get_client_for`` (one audited decision on the client's ``disclosure``
resource; 404 for missing and forbidden alike), and the services decide
again before they write.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy, public
from wellkept.access.guards import org_query, practice_only
from wellkept.access.policy import roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.disclosures import selectors, services
from wellkept.disclosures.forms import (
    AuthorisationForm,
    DisclosureForm,
    LegalBasisForm,
    RevokeForm,
)
from wellkept.orgs.models import Organisation
from wellkept.practice.models import Client
from wellkept.practice.views.acting import act_on_form

KIND = ResourceKind.DISCLOSURE
CARE = Purpose.CLINICAL_CARE
LEGAL = Purpose.LEGAL_OBLIGATION
OVERSIGHT = Purpose.AUDIT_OVERSIGHT
THERAPISTS = frozenset({AccessRole.SPECIALIST})
PRIVACY = frozenset({AccessRole.PRIVACY_OFFICER})


def _home(client: Client, organisation: Organisation) -> str:
    return reverse("disclosures:client_home", args=[client.pk]) + org_query(organisation)


def _recipient(form: Any) -> services.Recipient:
    data = form.cleaned_data
    return services.Recipient(
        name=data.get("recipient_name") or "",
        organisation=data.get("recipient_organisation") or "",
        address=data.get("recipient_address") or "",
    )


@policy(action=Action.READ, resource=KIND, purpose=CARE)
@practice_only(what="disclosures-client", roles=THERAPISTS)
@never_cache
@require_GET
def client_home(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Show the client's authorisations and legal bases, and the way to disclose."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, purpose=CARE, request=request
    )
    return render(
        request,
        "disclosures/practice/client_home.html",
        {
            "organisation": organisation,
            "client": client,
            "authorisations": selectors.authorisations_of(client),
            "legal_bases": selectors.legal_bases_of(client),
            "today": selectors.today(),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=KIND, purpose=CARE)
@practice_only(what="disclosures-authorisation-new", roles=THERAPISTS)
@never_cache
@require_http_methods(["GET", "POST"])
def authorisation_new(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Fill in an authorisation with the client, who signs it here by typing their legal name."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, purpose=CARE, request=request
    )
    form = AuthorisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = act_on_form(
            request,
            form,
            act=lambda: services.authorisation_sign(
                actor=request.user,
                client=client,
                kind=data["kind"],
                categories=form.categories_chosen(),
                records_from=data["records_from"],
                records_to=data["records_to"],
                expires_on=data["expires_on"],
                recipient=_recipient(form),
                purpose=data["purpose"],
                signed_name=data["signed_name"],
                request=request,
            ),
            done="Authorisation signed and recorded.",
            then=_home(client, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "disclosures/practice/authorisation_new.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=KIND, purpose=CARE)
@practice_only(what="disclosures-authorisation-revoke", roles=THERAPISTS)
@never_cache
@require_http_methods(["GET", "POST"])
def authorisation_revoke(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, authorisation: Any
) -> HttpResponse:
    """Record the client's written revocation of an authorisation."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, purpose=CARE, request=request
    )
    found = selectors.authorisation_of(client, authorisation)
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if found.revoked_at is None and request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.authorisation_revoke(
                actor=request.user,
                authorisation=found,
                reason=form.cleaned_data["reason"],
                request=request,
            ),
            done="Authorisation revoked: nothing more is released under it.",
            then=_home(client, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "disclosures/practice/authorisation_revoke.html",
        {
            "organisation": organisation,
            "client": client,
            "authorisation": found,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=KIND, purpose=LEGAL)
@practice_only(what="disclosures-legal-basis-new", roles=THERAPISTS)
@never_cache
@require_http_methods(["GET", "POST"])
def legal_basis_new(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Record a court order, a duty to warn or a mandated report; the privacy officer is alerted."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, purpose=LEGAL, request=request
    )
    form = LegalBasisForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = act_on_form(
            request,
            form,
            act=lambda: services.legal_basis_record(
                actor=request.user,
                client=client,
                kind=data["kind"],
                reference=data["reference"],
                reason=data["reason"],
                request=request,
            ),
            done="Legal basis recorded. The privacy officer has been alerted.",
            then=_home(client, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "disclosures/practice/legal_basis_new.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=KIND, purpose=CARE)
@practice_only(what="disclosures-disclosure-new", roles=THERAPISTS)
@never_cache
@require_http_methods(["GET", "POST"])
def disclosure_new(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Release records under a current authorisation or a legal basis; show the link once."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, purpose=CARE, request=request
    )
    form = DisclosureForm(
        request.POST if request.method == "POST" else None,
        authorisations=selectors.current_authorisations(client),
        legal_bases=selectors.legal_bases_of(client),
    )
    if request.method == "POST" and form.is_valid():
        authorisation, legal_basis = form.chosen_basis()
        data = form.cleaned_data
        try:
            issued = services.disclosure_make(
                actor=request.user,
                client=client,
                categories=data["categories"],
                records_from=data["records_from"],
                records_to=data["records_to"],
                authorisation=authorisation,
                legal_basis=legal_basis,
                recipient=_recipient(form),
                request=request,
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            address = request.build_absolute_uri(reverse("disclosures:release", args=[issued.raw]))
            # Rendered, not redirected: the link must not pass through the
            # session's message store, and it is shown this once only.
            return render(
                request,
                "disclosures/practice/disclosure_made.html",
                {
                    "organisation": organisation,
                    "client": client,
                    "disclosure": issued.disclosure,
                    "address": address,
                    "link_days": services.LINK_DAYS,
                    "org_query": org_query(organisation),
                },
            )
    return render(
        request,
        "disclosures/practice/disclosure_new.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.READ, resource=KIND, purpose=CARE)
@practice_only(what="disclosures-accounting", roles=THERAPISTS | PRIVACY)
@never_cache
@require_GET
def accounting(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """List every disclosure of the client's information: the accounting of disclosures."""
    # The privacy officer reads it for oversight, never as care.
    overseeing = AccessRole.PRIVACY_OFFICER in roles_in(request.user, organisation.pk)
    client = selectors.get_client_for(
        actor=request.user,
        organisation=organisation,
        pk=pk,
        purpose=OVERSIGHT if overseeing else CARE,
        request=request,
    )
    return render(
        request,
        "disclosures/practice/accounting.html",
        {
            "organisation": organisation,
            "client": client,
            "lines": selectors.accounting_for(client),
            "overseeing": overseeing,
            "org_query": org_query(organisation),
        },
    )


# The recipient cannot sign in: the secret in the address is the only
# authority (stored as prefix and keyed MAC, like a calendar feed). Opening
# the address shows a button and nothing else, so a mail scanner that
# fetches links does not use up the single download; the download is a POST.
@public
@login_not_required
@never_cache
@require_GET
def release(request: HttpRequest, token: str) -> HttpResponse:
    """Show the recipient a button to download the package; names nobody."""
    return render(request, "disclosures/practice/release.html", {"token": token})


@public
@login_not_required
@never_cache
@require_POST
def release_download(request: HttpRequest, token: str) -> HttpResponse:
    """Give the package once; 404 (audited) for a used, expired, revoked or unknown link."""
    download = services.package_download(raw=token, request=request)
    if download is None:
        raise Http404
    response = HttpResponse(download.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response

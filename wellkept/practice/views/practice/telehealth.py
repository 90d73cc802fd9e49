"""Telehealth pages (issue 19): the client's telehealth consent, and starting a video session.

Only a therapist working with the client records the consent (the client
types their legal name on the therapist's device, in the office), and only
the therapist who holds a video appointment opens its session page. Every
other role, a supervisor included, gets "not found", audited. The front
desk books video appointments (the booking form's "Video") but never sees
a room, a location, a token or a link.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import org_query, practice_only
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.forms import TelehealthConsentForm, VideoSessionForm
from wellkept.practice.views.acting import act_on_form, act_then_back

RECORD = ResourceKind.CLIENT_RECORD
PURPOSE = Purpose.CLINICAL_CARE
THERAPISTS = frozenset({AccessRole.SPECIALIST})


def _session_url(pk: Any, organisation: Organisation) -> str:
    return reverse("practice:video_session", args=[pk]) + org_query(organisation)


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-telehealth-consent", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def telehealth_consent(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Let the client read the telehealth consent and sign it by typing their name."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    if not any(t.pk == request.user.pk for t in selectors.current_therapists(client)):
        raise Http404
    form = TelehealthConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.telehealth_consent_record(
                actor=request.user,
                client=client,
                typed_name=form.cleaned_data["typed_name"],
                request=request,
            ),
            done="The client's telehealth consent is recorded.",
            then=reverse("practice:client", args=[client.pk]) + org_query(organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/telehealth/consent.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            "current": services.current_telehealth_consent(client),
            "version": services.CONSENT_VERSION,
            "text": services.CONSENT_TEXT,
            "digest": services.consent_digest(),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-telehealth-consent-withdraw", roles=THERAPISTS)
@require_POST
def telehealth_consent_withdraw(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Record that the client withdrew their telehealth consent."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    return act_then_back(
        request,
        act=lambda: services.telehealth_consent_withdraw(
            actor=request.user, client=client, request=request
        ),
        done="The client's telehealth consent is withdrawn: their sessions are in person now.",
        back=reverse("practice:telehealth_consent", args=[client.pk]) + org_query(organisation),
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-video-session", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def video_session(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Confirm the client's location and emergency contact, then show the session's links."""
    room = selectors.get_video_room_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    confirming = request.method == "POST" or "confirm" in request.GET
    form = VideoSessionForm(
        request.POST if request.method == "POST" else None,
        initial={
            "client_location": room.client_location if room.confirmed_at else "",
            "emergency_contact": room.emergency_contact if room.confirmed_at else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.video_session_confirm(
                actor=request.user,
                room=room,
                client_location=form.cleaned_data["client_location"],
                emergency_contact=form.cleaned_data["emergency_contact"],
                request=request,
            ),
            done="Location and emergency contact confirmed.",
            then=_session_url(pk, organisation),
        )
        if done is not None:
            return done
    links = None
    refusal = ""
    if room.confirmed_at is not None and not confirming:
        try:
            links = services.video_links_issue(actor=request.user, room=room, request=request)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            refusal = " ".join(exc.messages)
    elif not services.has_telehealth_consent(room.appointment.client):
        refusal = (
            f"Client {room.appointment.client.code} has not signed the current telehealth "
            "consent. Record it from the client's page (Telehealth consent) before the session."
        )
    return render(
        request,
        "practice/practice/telehealth/session.html",
        {
            "organisation": organisation,
            "appointment": room.appointment,
            "room": room,
            "form": form,
            "confirming": confirming or room.confirmed_at is None,
            "links": links,
            "refusal": refusal,
            "crisis_line": settings.WELLKEPT_TELEHEALTH_CRISIS_LINE,
            "has_email": bool(room.appointment.client.email),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-video-link-email", roles=THERAPISTS)
@require_POST
def video_link_email(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """E-mail the client their join link, to the address on record."""
    room = selectors.get_video_room_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    return act_then_back(
        request,
        act=lambda: services.video_link_email(actor=request.user, room=room, request=request),
        done="The link is on its way to the client's e-mail address on record.",
        back=_session_url(pk, organisation),
    )

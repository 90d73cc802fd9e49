"""The participant's follow-up page: ask for contact, read and answer the team, share or decline.

The participant is known here by their token only (found through the keyed
link, decided and audited under the token). Nothing on this page or in the
e-mails reveals more than the participant chooses to share.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy, self_service
from wellkept.access.guards import own_participant, signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.assessments import selectors as assessment_selectors
from wellkept.followup import selectors, services
from wellkept.followup.forms import ConversationForm, ReplyForm, ShareForm
from wellkept.followup.models import Case, Sender
from wellkept.orgs.models import Participant

OWN: PolicyScope = {"resource": ResourceKind.FOLLOW_UP_CASE, "purpose": Purpose.SELF_SERVICE}


def _participant(request: HttpRequest) -> Participant | None:
    for membership in assessment_selectors.memberships(request.user):
        participant = own_participant(request, membership)
        if participant is not None:
            return participant
    return None


def _mine() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("followup:mine"))


DECLINED = (
    "Understood: the follow-up team will not contact you about this. You can still "
    "ask for someone to get in touch later."
)


def _open_case(request: AuthenticatedRequest, *, declining: bool = False) -> Case | None:
    participant = _participant(request)
    if participant is None:
        return None
    case = selectors.own_case(actor=request.user, participant=participant)
    if case is not None and case.is_closed and declining and case.close_reason == "declined":
        # The same "no, thank you" sent twice (a double tap): the first one
        # closed the case; the answer is the same, not an error.
        messages.success(request, DECLINED)
        return None
    if case is None or case.is_closed:
        messages.error(
            request,
            "There is no open conversation with the follow-up team. You can ask for one here.",
        )
        return None
    return case


def _error(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))


@policy(action=Action.READ, **OWN)
@never_cache
@require_GET
@signed_in
def mine(request: AuthenticatedRequest) -> HttpResponse:
    """Show the conversation with the follow-up team, or how to ask for one."""
    participant = _participant(request)
    if participant is None:
        return render(request, "followup/participant/not_taking_part.html")
    case = selectors.own_case(actor=request.user, participant=participant)
    if case is not None:
        services.messages_mark_read(case=case, reader=Sender.PARTICIPANT)
    state = selectors.participant_state(participant)
    return render(
        request,
        "followup/participant/conversation.html",
        {
            "participant": participant,
            "case": case,
            "conversation": selectors.conversation(case) if case is not None else [],
            "taking_part": selectors.followup_consent(participant),
            "state": state,
            "reply_form": ReplyForm(),
            "share_form": ShareForm(),
            "conversation_form": ConversationForm(),
        },
    )


@policy(action=Action.CREATE, **OWN)
@require_POST
@signed_in
def ask(request: AuthenticatedRequest) -> HttpResponse:
    """Ask the follow-up team to get in touch (by code number, through this page)."""
    participant = _participant(request)
    if participant is None:
        return _mine()
    try:
        services.case_request(actor=request.user, participant=participant, request=request)
    except (PermissionDenied, ValidationError) as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            "The follow-up team knows you would like to talk. They see your code number, not "
            "your name, and will write to you here.",
        )
    return _mine()


def _post(request: AuthenticatedRequest, form_class: Any, act: Any, done: str) -> HttpResponse:
    case = _open_case(request)
    if case is None:
        return _mine()
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return _mine()
    try:
        act(case, form.cleaned_data)
    except (PermissionDenied, ValidationError) as exc:
        _error(request, exc)
    else:
        messages.success(request, done)
    return _mine()


@policy(action=Action.CREATE, **OWN)
@require_POST
@signed_in
def reply(request: AuthenticatedRequest) -> HttpResponse:
    """Write back to the follow-up team."""
    return _post(
        request,
        ReplyForm,
        lambda case, data: services.reply_send(
            actor=request.user,
            case=case,
            body=data["body"],
            idempotency_key=data["idempotency_key"],
        ),
        "Your reply is sent.",
    )


@policy(action=Action.CREATE, **OWN)
@require_POST
@signed_in
def share(request: AuthenticatedRequest) -> HttpResponse:
    """Tell the follow-up team who you are and how to reach you (your choice)."""
    return _post(
        request,
        ShareForm,
        lambda case, data: services.identity_share(
            actor=request.user,
            case=case,
            name=data["name"],
            contact=data["contact"],
            idempotency_key=data["idempotency_key"],
        ),
        "The follow-up team can now see the name and contact details you gave.",
    )


@policy(action=Action.CREATE, **OWN)
@require_POST
@signed_in
def conversation(request: AuthenticatedRequest) -> HttpResponse:
    """Ask for a conversation: how, and when suits you."""
    return _post(
        request,
        ConversationForm,
        lambda case, data: services.conversation_ask(
            actor=request.user,
            case=case,
            way=data["way"],
            when=data["when"],
            idempotency_key=data["idempotency_key"],
        ),
        "Your request for a conversation is sent; the team will reply here.",
    )


@policy(action=Action.UPDATE, **OWN)
@require_POST
@signed_in
def decline(request: AuthenticatedRequest) -> HttpResponse:
    """Say no to further contact: the case closes; nothing else changes."""
    case = _open_case(request, declining=True)
    if case is None:
        return _mine()
    try:
        services.followup_decline(actor=request.user, case=case)
    except (PermissionDenied, ValidationError) as exc:
        _error(request, exc)
    else:
        messages.success(request, DECLINED)
    return _mine()


@self_service
@require_GET
@signed_in
def how_it_works(request: AuthenticatedRequest) -> HttpResponse:
    """Explain follow-up and re-identification in plain words (nothing personal on it)."""
    return render(request, "followup/participant/how_it_works.html")

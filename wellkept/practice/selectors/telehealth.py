"""Reads of telehealth (issue 19): one accessor for an appointment's video session."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.actors import Caller
from wellkept.orgs.models import Organisation
from wellkept.practice.models import VideoRoom
from wellkept.practice.services.telehealth import video_resource

PURPOSE = Purpose.CLINICAL_CARE


def get_video_room_for(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action = Action.UPDATE,
) -> VideoRoom:
    """Return the video room of the practice's appointment ``pk`` for its therapist, or 404.

    Missing, in a room rather than by video, or someone else's: the same
    404, and the attempt is audited either way.
    """
    try:
        room = (
            VideoRoom.objects.select_related("appointment__client", "appointment__organisation")
            .filter(appointment__organisation=organisation, appointment_id=pk)
            .first()
        )
    except (ValidationError, ValueError, TypeError):
        room = None
    if room is None or not room.appointment.telehealth:
        nothing = Resource(
            kind=ResourceKind.CLIENT_RECORD,
            reference="appointment:unknown/video",
            organisation_id=organisation.pk,
        )
        can(actor, action, nothing, PURPOSE, request=request)
        raise Http404(NOT_FOUND_MESSAGE)
    if not can(actor, action, video_resource(room.appointment), PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return room

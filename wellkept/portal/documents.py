"""Writes of the client's forms to sign (issue 19): signing and withdrawing, in the portal.

Each decides on the client's own portal page ("forms") for an update,
audited, then leaves the signature itself to the practice's service. A
form that is not the client's own is refused, as one that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.actors import Actor
from wellkept.portal.models import PortalMembership
from wellkept.portal.scopes import portal_page_resource
from wellkept.practice import services as practice
from wellkept.practice.models import ConsentDocumentSignature


def _allow(actor: Actor, signature: ConsentDocumentSignature, request: HttpRequest | None) -> None:
    user_id = getattr(actor, "pk", None)
    membership = (
        PortalMembership.objects.filter(user_id=user_id, client_id=signature.client_id).first()
        if user_id is not None
        else None
    )
    if membership is None or not can(
        actor,
        Action.UPDATE,
        portal_page_resource(membership, "forms"),
        Purpose.SELF_SERVICE,
        request=request,
    ):
        raise PermissionDenied("Only the client signs their own forms.")


def portal_document_sign(
    *,
    actor: Actor,
    signature: ConsentDocumentSignature,
    typed_name: str,
    agreed: bool,
    request: HttpRequest | None = None,
) -> ConsentDocumentSignature:
    """Sign one of the client's own forms with their typed legal name; audited."""
    _allow(actor, signature, request)
    return practice.document_signature_complete(
        actor=actor,
        signature=signature,
        typed_name=typed_name,
        agreed=agreed,
        in_office=False,
        request=request,
    )


def portal_document_withdraw(
    *,
    actor: Actor,
    signature: ConsentDocumentSignature,
    request: HttpRequest | None = None,
) -> ConsentDocumentSignature:
    """Withdraw one of the client's own signed forms, where its kind allows; audited."""
    _allow(actor, signature, request)
    return practice.document_signature_mark_withdrawn(
        actor=actor, signature=signature, request=request
    )

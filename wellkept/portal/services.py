"""Writes for the client portal: invitations, and the login an accepted one creates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.accounts.models import User, email_index_for, normalise_email
from wellkept.accounts.passwords import PasswordSubject
from wellkept.accounts.tokens import token_issue, token_matches, token_prefix
from wellkept.actors import Actor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.portal.models import (
    GuardianSection,
    GuardianSharing,
    PortalGuardianMembership,
    PortalInvitation,
    PortalMembership,
)
from wellkept.portal.scopes import guardian_sharing_resource, invitation_resource
from wellkept.portal.selectors import still_a_minor
from wellkept.practice.hooks import ClientErasing
from wellkept.practice.models import Client, ClientStatus, Guardian
from wellkept.vault.services import datakey_shred


class PortalInvitationError(Exception):
    """An invitation cannot be sent; the message says why and what to do."""


class PortalInvitationInvalid(Exception):
    """The link is unknown, used, revoked or expired: all look the same on purpose."""


@dataclass(frozen=True)
class IssuedPortalInvitation:
    """A new invitation and its link; the link exists only here and in the e-mail."""

    invitation: PortalInvitation
    url: str
    replaced: int = 0


def _purpose(actor: Actor) -> Purpose:
    # Commands (the demo) administer the service; staff give care.
    return (
        Purpose.SERVICE_ADMINISTRATION if isinstance(actor, SystemActor) else Purpose.CLINICAL_CARE
    )


def _allow(actor: Actor, action: Action, client: Client, request: HttpRequest | None) -> None:
    if not can(actor, action, invitation_resource(client), _purpose(actor), request=request):
        raise PermissionDenied("You may not change this client's portal access.")


def _target(invitation: PortalInvitation) -> str:
    return f"client:{invitation.client_id}/portal-invitation:{invitation.pk}"


def portal_invitation_url(token: str) -> str:
    path = reverse("portal:invitation_open", kwargs={"token": token})
    # From the configured address, never the request's Host header.
    return settings.WELLKEPT_BASE_URL.rstrip("/") + path


def _send_invitation_mail(*, email: str, url: str) -> None:
    # Neither the practice nor the therapist is named: a mailbox someone
    # else reads must not learn that its owner is in therapy, or where.
    context: dict[str, object] = {"url": url, "hours": settings.WELLKEPT_PORTAL_INVITATION_HOURS}
    subject = render_to_string("portal/email/invitation_subject.txt", context).strip()
    body = render_to_string("portal/email/invitation_message.txt", context)
    send_mail(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, settings.DEFAULT_FROM_EMAIL, [email]
    )


def _revoke_open(
    actor: Actor, client: Client, *, reason: str, guardian: Guardian | None = None
) -> int:
    """Revoke the client's (or one guardian's) open invitations under lock; return how many."""
    replaced = 0
    for earlier in lock_rows(PortalInvitation.objects.all()).filter(
        client=client, guardian=guardian, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        earlier.revoked_at = clock.now()
        earlier.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            event=EventType.PORTAL_INVITATION_REVOKED,
            target=_target(earlier),
            reason=reason,
        )
        replaced += 1
    return replaced


def _invitable_address(value: object, *, missing: str, whose: str) -> str:
    """The normalised address on record to invite, or PortalInvitationError saying why not."""
    address = normalise_email(value) if isinstance(value, str) else ""
    try:
        validate_email(address)
    except ValidationError:
        raise PortalInvitationError(missing) from None
    if User.objects.filter(email_index=email_index_for(address)).exists():
        # Staff see the address already; a login on it would be a second
        # identity for one person (or a colleague's address typed in).
        raise PortalInvitationError(
            f"An account with {whose} e-mail address already exists. "
            "Check the address on the client's record."
        )
    return address


def portal_invitation_create(
    *, actor: Actor, client: Client, request: HttpRequest | None = None
) -> IssuedPortalInvitation:
    """Invite the client to the portal at the address on record; earlier links stop working."""
    _allow(actor, Action.CREATE, client, request)
    if client.status != ClientStatus.ACTIVE:
        raise PortalInvitationError("A discharged client cannot be invited to the portal.")
    if PortalMembership.objects.filter(client=client).exists():
        raise PortalInvitationError("This client already has a portal account.")
    address = _invitable_address(
        client.email,
        missing="The client's record has no valid e-mail address. Add one to their details first.",
        whose="the client's",
    )
    issued = token_issue()
    now = clock.now()
    try:
        with transaction.atomic():
            replaced = _revoke_open(actor, client, reason="replaced by a new invitation")
            invitation = PortalInvitation(
                client=client,
                invited_by=actor if isinstance(actor, User) else None,
                token_prefix=issued.prefix,
                token_mac=issued.mac,
                created_at=now,
                expires_at=now + dt.timedelta(hours=settings.WELLKEPT_PORTAL_INVITATION_HOURS),
            )
            invitation.save()
            audit_record(
                actor=actor,
                event=EventType.PORTAL_INVITED,
                target=_target(invitation),
                reason=f"replaced {replaced}" if replaced else "",
                request=request,
            )
            url = portal_invitation_url(issued.raw)
            # After commit: a rolled-back invitation must not mail a link.
            transaction.on_commit(lambda: _send_invitation_mail(email=address, url=url))
    except IntegrityError:
        raise PortalInvitationError(
            "Someone else invited this client a moment ago. Reload the page to see it."
        ) from None
    return IssuedPortalInvitation(invitation=invitation, url=url, replaced=replaced)


def portal_invitation_revoke(
    *, actor: Actor, client: Client, request: HttpRequest | None = None
) -> int:
    """Make the client's pending invitation link stop working; return how many were revoked."""
    _allow(actor, Action.DELETE, client, request)
    with transaction.atomic():
        return _revoke_open(actor, client, reason="")


def portal_invitation_find_usable(token: str) -> PortalInvitation | None:
    """The pending, unexpired invitation whose link this is, or None (without saying why)."""
    prefix = token_prefix(token)
    invitation = (
        PortalInvitation.objects.select_related("client").filter(token_prefix=prefix).first()
        if prefix
        else None
    )
    # Compared even when no row matched, so a wrong prefix takes as long.
    matches = token_matches(token, invitation.token_mac if invitation else "0" * 64)
    if invitation is None or not matches or not _usable(invitation):
        return None
    return invitation


def _usable(invitation: PortalInvitation) -> bool:
    return (
        invitation.accepted_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > clock.now()
        and invitation.client.status == ClientStatus.ACTIVE
        # A guardian's link dies with the minority it rests on.
        and (invitation.guardian_id is None or still_a_minor(invitation.client))
    )


def invitation_email(invitation: PortalInvitation) -> str | None:
    """The address the invitation's login will have: the client's, or the guardian's."""
    guardian = invitation.guardian
    email = guardian.email if guardian is not None else invitation.client.email
    return email if isinstance(email, str) and email else None


def portal_invitation_accept(*, token: str, password: str) -> User:
    """Create the client's portal login and membership, using the link up.

    Raises PortalInvitationInvalid for any link that cannot be used, and
    ValidationError when the password breaks a rule (the staff's rules: a
    second factor is offered, not imposed, so the longer minimum applies).
    """
    prefix = token_prefix(token)
    with transaction.atomic():
        # The row lock queues two submissions of one link: the second fails.
        invitation = (
            lock_rows(PortalInvitation.objects.select_related("client", "guardian"))
            .filter(token_prefix=prefix)
            .first()
            if prefix
            else None
        )
        matches = token_matches(token, invitation.token_mac if invitation else "0" * 64)
        if invitation is None or not matches or not _usable(invitation):
            raise PortalInvitationInvalid
        client = invitation.client
        email = invitation_email(invitation)
        if email is None:
            raise PortalInvitationInvalid
        password_validation.validate_password(
            password,
            PasswordSubject(email=email, mfa_required=False),  # type: ignore[arg-type]
        )
        guardian = invitation.guardian
        taken = (
            PortalGuardianMembership.objects.filter(guardian=guardian).exists()
            if guardian is not None
            else PortalMembership.objects.filter(client=client).exists()
        )
        if User.objects.filter(email_index=email_index_for(email)).exists() or taken:
            raise PortalInvitationInvalid
        now = clock.now()
        user = User.objects.create_user(email, password)
        # A login is one person: the guardian's is never the client's.
        if guardian is not None:
            PortalGuardianMembership.objects.create(
                user=user, guardian=guardian, invitation=invitation, created_at=now
            )
        else:
            PortalMembership.objects.create(
                user=user, client=client, invitation=invitation, created_at=now
            )
        invitation.accepted_at = now
        invitation.save(update_fields=["accepted_at"])
        audit_record(
            actor=user, event=EventType.PORTAL_INVITATION_ACCEPTED, target=_target(invitation)
        )
    return user


def on_client_erasing(event: ClientErasing) -> None:
    """Erase the erased client's portal login: shred its key, then delete it.

    Runs inside ``practice.client_erase``'s transaction. The login's address
    is the client's, under the login's own key: shredding that key first
    makes any copy of the row (a backup, a WAL) unreadable, and deleting the
    row takes its blind index, which would still confirm a guessed address.
    """
    membership = PortalMembership.objects.filter(client=event.client).select_related("user").first()
    if membership is not None:
        _erase_login(membership, SystemActor("client-erasure"))
    # The guardians' logins carry the guardians' addresses, which are the
    # client's record too (kept under the client's key on the Guardian row).
    for guarding in PortalGuardianMembership.objects.filter(
        guardian__client=event.client
    ).select_related("user"):
        _erase_login(guarding, SystemActor("client-erasure"))


def _erase_login(membership: PortalMembership | PortalGuardianMembership, actor: Actor) -> None:
    user = membership.user
    datakey_shred(actor=actor, subject=user.dek_subject)
    membership.delete()
    user.delete()


# ---- Guardians of a minor -------------------------------------------------------------------


def _allow_sharing(
    actor: Actor, action: Action, client: Client, request: HttpRequest | None
) -> None:
    if not can(actor, action, guardian_sharing_resource(client), _purpose(actor), request=request):
        raise PermissionDenied("You may not change what this client's guardians see.")


def guardian_sharing_set(
    *,
    actor: Actor,
    client: Client,
    sections: frozenset[str],
    request: HttpRequest | None = None,
) -> GuardianSharing:
    """Decide which sections the minor's guardians see; an empty set shares nothing."""
    _allow_sharing(actor, Action.UPDATE, client, request)
    unknown = set(sections) - set(GuardianSection.values)
    if unknown:
        # Notes, messages and measures are not sections at all: nothing can name them.
        raise ValidationError("Only appointments and invoices can be shared with guardians.")
    chosen = ",".join(s for s in GuardianSection.values if s in sections)
    with transaction.atomic():
        sharing, created = lock_rows(GuardianSharing.objects.all()).get_or_create(
            client=client, defaults={"sections": chosen}
        )
        before = "" if created else sharing.sections
        sharing.sections = chosen
        sharing.changed_by = actor if isinstance(actor, User) else None
        sharing.changed_at = clock.now()
        sharing.save(update_fields=["sections", "changed_by", "changed_at"])
        audit_record(
            actor=actor,
            event=EventType.PORTAL_GUARDIAN_SHARING_CHANGED,
            target=f"client:{client.pk}/guardian-sharing",
            # Section names only: they say what kind, never anything recorded.
            reason=f"from [{before}] to [{chosen}]",
            request=request,
        )
    return sharing


def guardian_invitation_create(
    *, actor: Actor, guardian: Guardian, request: HttpRequest | None = None
) -> IssuedPortalInvitation:
    """Invite a minor's guardian to a guardian's portal login at the guardian's address."""
    client = guardian.client
    _allow_sharing(actor, Action.CREATE, client, request)
    if client.status != ClientStatus.ACTIVE:
        raise PortalInvitationError("A discharged client's guardian cannot be invited.")
    if not still_a_minor(client):
        raise PortalInvitationError(
            "The client is not a minor: their guardians have no portal access."
        )
    if PortalGuardianMembership.objects.filter(guardian=guardian).exists():
        raise PortalInvitationError("This guardian already has a portal account.")
    address = _invitable_address(
        guardian.email,
        missing="The guardian has no valid e-mail address. Add one to the client's details first.",
        whose="the guardian's",
    )
    issued = token_issue()
    now = clock.now()
    try:
        with transaction.atomic():
            replaced = _revoke_open(
                actor, client, reason="replaced by a new invitation", guardian=guardian
            )
            invitation = PortalInvitation(
                client=client,
                guardian=guardian,
                invited_by=actor if isinstance(actor, User) else None,
                token_prefix=issued.prefix,
                token_mac=issued.mac,
                created_at=now,
                expires_at=now + dt.timedelta(hours=settings.WELLKEPT_PORTAL_INVITATION_HOURS),
            )
            invitation.save()
            audit_record(
                actor=actor,
                event=EventType.PORTAL_GUARDIAN_INVITED,
                target=f"{_target(invitation)}/guardian:{guardian.pk}",
                reason=f"replaced {replaced}" if replaced else "",
                request=request,
            )
            url = portal_invitation_url(issued.raw)
            transaction.on_commit(lambda: _send_invitation_mail(email=address, url=url))
    except IntegrityError:
        raise PortalInvitationError(
            "Someone else invited this guardian a moment ago. Reload the page to see it."
        ) from None
    return IssuedPortalInvitation(invitation=invitation, url=url, replaced=replaced)


def guardian_access_end(
    *, actor: Actor, guardian: Guardian, request: HttpRequest | None = None
) -> bool:
    """End a guardian's portal access: revoke their link, erase their login. True if any."""
    client = guardian.client
    _allow_sharing(actor, Action.DELETE, client, request)
    with transaction.atomic():
        ended = _revoke_open(actor, client, reason="guardian access ended", guardian=guardian)
        membership = (
            lock_rows(PortalGuardianMembership.objects.select_related("user"))
            .filter(guardian=guardian)
            .first()
        )
        if membership is not None:
            # The login is erased, not parked: its address is the guardian's,
            # and a login that reaches nothing is still a credential to steal.
            _erase_login(membership, actor)
            ended += 1
        if ended:
            audit_record(
                actor=actor,
                event=EventType.PORTAL_GUARDIAN_ACCESS_ENDED,
                target=f"client:{client.pk}/guardian:{guardian.pk}",
                request=request,
            )
    return bool(ended)

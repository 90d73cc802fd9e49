"""Writes for accounts: invitations and the accounts they create."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from wellkept import clock
from wellkept.accounts.models import Invitation, User, email_index_for, normalise_email
from wellkept.accounts.passwords import PasswordSubject
from wellkept.accounts.tokens import token_issue, token_matches, token_prefix
from wellkept.actors import Actor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Clinician, InviteeRole, Organisation, Role, StaffMembership
from wellkept.orgs.selectors import user_has_role


class InvitationError(Exception):
    """An invitation cannot be created; the message says why and what to do."""


class InvitationNotAllowed(InvitationError):
    """The actor may not invite into this organisation."""


class InvitationInvalid(Exception):
    """The link is unknown, used, revoked or expired: all look the same on purpose."""


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and its link; the link exists only here and in the e-mail."""

    invitation: Invitation
    url: str
    # Earlier invitations to the same address that this one replaced.
    replaced: int = 0


def invitation_url(token: str) -> str:
    path = reverse("accounts:invitation_open", kwargs={"token": token})
    return settings.WELLKEPT_BASE_URL.rstrip("/") + path


def _send_mail(template: str, context: dict[str, object], *, to: str) -> None:
    """Send accounts/email/<template>_subject.txt and _message.txt to one address."""
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"accounts/email/{template}_message.txt", context)
    send_mail(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, settings.DEFAULT_FROM_EMAIL, [to]
    )


def _send_invitation_mail(*, email: str, url: str, organisation_name: str, role: str) -> None:
    context: dict[str, object] = {
        "url": url,
        "organisation": organisation_name,
        "role": role,
        "days": settings.WELLKEPT_INVITATION_DAYS,
    }
    _send_mail("invitation", context, to=email)


def password_reset_send(*, email: str) -> bool:
    """Mail a reset link to ``email`` when an active account has it; otherwise nothing.

    Runs after the response (wellkept.deferred), never in the request, so
    the reset form takes the same time for every address: the lookup, the
    link and the mail all happen here. Returns whether a mail was sent.
    """
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    user = User.objects.get_by_email(email)
    if user is None or not user.is_active or not isinstance(user.email, str):
        return False
    uid = user_pk_to_url_str(user)
    key = default_token_generator.make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": key})
    # From the configured address, never the request's Host header.
    context: dict[str, object] = {
        "url": settings.WELLKEPT_BASE_URL.rstrip("/") + path,
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    _send_mail("password_reset", context, to=user.email)
    return True


def invitation_create(
    *, actor: Actor, organisation: Organisation, email: str, role: str
) -> IssuedInvitation:
    """Invite ``email`` to ``organisation`` as a clinician or staff ``role``; mail on commit."""
    _check_may_invite(actor, organisation)
    address = normalise_email(email)
    try:
        validate_email(address)
    except ValidationError:
        # Not echoed back: the message may reach a log or a terminal.
        raise InvitationError("This is not a valid e-mail address.") from None
    if role not in InviteeRole.values:
        valid = ", ".join(InviteeRole.values)
        raise InvitationError(f"'{role}' is not a role one can invite to. Choose one of: {valid}.")
    index = email_index_for(address)
    if isinstance(actor, User) and actor.email_index == index:
        # A second account (or a role) handed to oneself would dodge the
        # two-person view of who administers whom.
        raise InvitationError("You cannot invite your own e-mail address.")
    if User.objects.filter(email_index=index).exists():
        # Only administrators reach this, and they may know who has an account.
        raise InvitationError("An account with this e-mail address already exists.")
    issued = token_issue()
    now = clock.now()
    try:
        with transaction.atomic():
            replaced = _replace_open_invitations(actor, organisation=organisation, index=index)
            invitation = Invitation(
                organisation=organisation,
                role=role,
                email_index=index,
                invited_by=actor if isinstance(actor, User) else None,
                token_prefix=issued.prefix,
                token_mac=issued.mac,
                created_at=now,
                expires_at=now + dt.timedelta(days=settings.WELLKEPT_INVITATION_DAYS),
            )
            invitation.email = address
            invitation.save()
            audit_record(
                actor=actor,
                event=EventType.ACCOUNT_INVITED,
                target=f"invitation:{invitation.pk}",
                role=_acting_role(actor),
                reason=f"role {role}",
            )
            url = invitation_url(issued.raw)
            role_label = InviteeRole(role).label
            # After commit: a rolled-back invitation must not have sent a working-looking link.
            transaction.on_commit(
                lambda: _send_invitation_mail(
                    email=address,
                    url=url,
                    organisation_name=organisation.name,
                    role=str(role_label),
                )
            )
    except IntegrityError:
        # The database allows one open invitation per address and
        # organisation: another administrator invited it in the same instant.
        raise InvitationError(
            "Someone else invited this address a moment ago. Reload the page to see that "
            "invitation; send another only if it is needed."
        ) from None
    return IssuedInvitation(invitation=invitation, url=url, replaced=replaced)


def _replace_open_invitations(actor: Actor, *, organisation: Organisation, index: str) -> int:
    """Revoke the organisation's unused invitations to one address; return how many."""
    # A link is stored only as a MAC, so sending an invitation again means a
    # new link, and the old ones must stop working: an address must never
    # hold several live links (one perhaps in a mailbox it no longer reads).
    earlier = lock_rows(Invitation.objects.all()).filter(
        organisation=organisation,
        email_index=index,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )
    replaced = 0
    for invitation in earlier:
        invitation.revoked_at = clock.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            event=EventType.ACCOUNT_INVITATION_REVOKED,
            target=f"invitation:{invitation.pk}",
            role=_acting_role(actor),
            reason="replaced by a new invitation",
        )
        replaced += 1
    return replaced


def _check_may_invite(actor: Actor, organisation: Organisation) -> None:
    """Allow a command, or a system administrator of ``organisation``; refuse anyone else."""
    if isinstance(actor, SystemActor):
        return
    if (
        isinstance(actor, User)
        and actor.is_active
        and user_has_role(actor, organisation=organisation, role=Role.SYSTEM_ADMIN)
    ):
        return
    raise InvitationNotAllowed("You cannot invite people to this organisation.")


def _acting_role(actor: Actor) -> str:
    # _check_may_invite lets only commands and system administrators through.
    return "" if isinstance(actor, SystemActor) else Role.SYSTEM_ADMIN.value


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    """Make a pending invitation's link stop working; used or revoked ones are left as they are."""
    with transaction.atomic():
        locked = lock_rows(Invitation.objects.all()).get(pk=invitation.pk)
        if locked.accepted_at is None and locked.revoked_at is None:
            locked.revoked_at = clock.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                event=EventType.ACCOUNT_INVITATION_REVOKED,
                target=f"invitation:{locked.pk}",
                role=_acting_role(actor),
            )
    return locked


def invitation_accept(*, token: str, password: str) -> User:
    """Create the invitee's account and clinician or staff membership, using the link up.

    Raises InvitationInvalid for any link that cannot be used, and
    ValidationError when the password breaks a rule.
    """
    prefix = token_prefix(token)
    with transaction.atomic():
        # The row lock makes two simultaneous submissions of one link queue:
        # the second sees accepted_at set and fails.
        invitation = (
            lock_rows(Invitation.objects.all()).filter(token_prefix=prefix).first()
            if prefix
            else None
        )
        matches = token_matches(token, invitation.token_mac if invitation else "0" * 64)
        now = clock.now()
        if (
            invitation is None
            or not matches
            or invitation.accepted_at is not None
            or invitation.revoked_at is not None
            or invitation.expires_at <= now
        ):
            raise InvitationInvalid
        email = invitation.email
        if not isinstance(email, str):
            raise InvitationInvalid
        clinician = invitation.role == InviteeRole.CLINICIAN
        password_validation.validate_password(
            password,
            # Staff must add a second factor at once; clinicians are offered one.
            PasswordSubject(email=email, mfa_required=not clinician),  # type: ignore[arg-type]
        )
        if User.objects.filter(email_index=invitation.email_index).exists():
            raise InvitationInvalid
        user = User.objects.create_user(email, password)
        if clinician:
            Clinician.objects.create(
                user=user, organisation=invitation.organisation, created_at=now
            )
        else:
            StaffMembership.objects.create(
                user=user,
                organisation=invitation.organisation,
                role=invitation.role,
                created_at=now,
            )
        invitation.accepted_at = now
        invitation.save(update_fields=["accepted_at"])
        audit_record(
            actor=user,
            event=EventType.ACCOUNT_INVITATION_ACCEPTED,
            target=f"invitation:{invitation.pk}",
            role=invitation.role,
        )
    return user

"""E-mail to an organisation's staff: the one path the privacy officers' alerts take.

The follow-up process (re-identification, break-glass on an identity) and
the practice (break-glass on a client's record) alert the privacy officers
the same way: after the transaction that caused the alert commits, one
e-mail to every active privacy officer of the organisation but the person
who caused it, naming nobody, with a link. ``orgs`` holds it because both
sit above it and must not import each other.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q

from wellkept.accounts.models import User, readable_email
from wellkept.orgs.models import Organisation, Role

logger = logging.getLogger(__name__)


def absolute(path: str) -> str:
    """The full address of a page of this installation, for an e-mail."""
    return settings.WELLKEPT_BASE_URL.rstrip("/") + path


def email_send(subject: str, body: str, to: list[str]) -> None:
    """Send one e-mail now; a failure is logged by its kind only."""
    if not to:
        return
    message = EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"Auto-Submitted": "auto-generated"},
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        # Never the address or the content: the in-app notice is the record.
        logger.warning("alert e-mail not sent (%s)", exc.__class__.__name__)


def privacy_officer_addresses(organisation_id: Any, exclude: Any = None) -> list[str]:
    """The sign-in addresses of the organisation's active privacy officers (never ``exclude``)."""
    officers = User.objects.filter(
        Q(memberships__organisation_id=organisation_id) & Q(memberships__role=Role.PRIVACY_OFFICER),
        is_active=True,
    ).distinct()
    return [
        readable_email(u)
        for u in officers
        if (exclude is None or u.pk != exclude) and readable_email(u)
    ]


def privacy_officers_mailed(
    organisation: Organisation, *, subject: str, body: Callable[[str], str], exclude: Any = None
) -> None:
    """After commit, e-mail ``subject`` and ``body(organisation name)`` to its privacy officers."""
    organisation_id = organisation.pk
    name = organisation.name

    def send() -> None:
        email_send(subject, body(name), privacy_officer_addresses(organisation_id, exclude))

    transaction.on_commit(send)

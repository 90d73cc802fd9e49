"""Personal API tokens: issue, revoke and check the bearer tokens scripts use for the API.

A token acts as its holder, in one organisation, and is checked by the same
access policy as the holder's own requests: it adds a way in, never a right.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.purposes import Purpose
from wellkept.accounts import throttle
from wellkept.accounts.models import User, readable_email
from wellkept.accounts.tokens import token_issue, token_matches, token_prefix
from wellkept.actors import Actor
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.insights.models import ApiToken
from wellkept.insights.selectors import may_view
from wellkept.orgs.models import Organisation

DEFAULT_DAYS = 90
MAX_DAYS = 365


@dataclass(frozen=True)
class IssuedApiToken:
    """A new token: ``raw`` is shown to its holder once and kept nowhere."""

    token: ApiToken
    raw: str


@transaction.atomic
def api_token_create(
    *,
    actor: Actor,
    user: User,
    organisation: Organisation,
    days: int = DEFAULT_DAYS,
    name: str = "",
) -> IssuedApiToken:
    """Issue a token for ``user`` to read ``organisation``'s aggregates; audited."""
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"A token lasts between 1 and {MAX_DAYS} days.", code="days")
    if not user.is_active:
        raise ValidationError("This login is deactivated.", code="inactive")
    # Checked now for a clear message; every request is checked again, so a
    # role taken away later closes the token's access too.
    if not may_view(user, organisation, Purpose.QUALITY_IMPROVEMENT_AGGREGATE):
        raise ValidationError(
            f"{readable_email(user) or 'This login'} may not see {organisation.name}'s "
            "dashboards, so a token would give them nothing. Grant the leader or wellbeing "
            "officer role first.",
            code="not_allowed",
        )
    issued = token_issue()
    now = clock.now()
    token = ApiToken.objects.create(
        user=user,
        organisation=organisation,
        name=name[:80],
        prefix=issued.prefix,
        mac=issued.mac,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    audit_record(
        actor=actor,
        event=EventType.GRANT_CREATED,
        target=f"api_token:{token.prefix}",
        reason=f"API token for user {user.pk} in organisation {organisation.pk}, {days} days",
    )
    return IssuedApiToken(token=token, raw=issued.raw)


@transaction.atomic
def api_token_revoke(*, actor: Actor, prefix: str) -> ApiToken:
    """Revoke the token with this prefix at once; audited."""
    token = ApiToken.objects.select_for_update().filter(prefix=prefix).first()
    if token is None:
        raise ValidationError("No API token has that prefix.", code="missing")
    if token.revoked_at is not None:
        raise ValidationError("That API token is already revoked.", code="revoked")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        event=EventType.GRANT_REVOKED,
        target=f"api_token:{token.prefix}",
        reason=f"API token of user {token.user_id} in organisation {token.organisation_id}",
    )
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """Return the live token matching ``raw``, noting the day it was used, or None."""
    prefix = token_prefix(raw)
    if prefix is None:
        return None
    token = (
        ApiToken.objects.select_related("user", "organisation")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    # The MAC is compared even for an expired token: the answer must not
    # tell a guesser which prefixes exist.
    if token is None or not token_matches(raw, token.mac):
        return None
    now = clock.now()
    if token.expires_at <= now or not token.user.is_active:
        return None
    today = now.astimezone(dt.UTC).date()
    if token.last_used_on != today:
        # At most one write a day per token, not one per request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_on=today)
        token.last_used_on = today
    return token


class ApiTokenThrottled(Exception):
    """Too many failed bearer-token attempts: wait ``seconds``, then try again."""

    def __init__(self, seconds: int) -> None:
        super().__init__(throttle.refusal_message(seconds))
        self.seconds = seconds


def _failed(request: HttpRequest, prefix: str | None, reason: str) -> None:
    # The prefix only: it names a token without being any part of its secret.
    audit_record(
        actor=AnonymousUser(),  # type: ignore[arg-type]
        event=EventType.AUTH_LOGIN_FAILED,
        target=f"api_token:{prefix}" if prefix else "",
        outcome=Outcome.DENIED,
        reason=f"api token: {reason}",
        request=request,
    )


def api_token_check(raw: str, *, request: HttpRequest) -> ApiToken | None:
    """``api_token_authenticate`` behind the sign-in back-off, audited like a sign-in.

    The same counters as passwords (``accounts.throttle``): per token prefix,
    per prefix and network, per network. A wrong, expired or revoked token is
    recorded as ``auth.login_failed``; once over its allowance it is answered
    with ``ApiTokenThrottled`` (HTTP 429), like a refused attempt, so that the
    two cannot be told apart. A right token from a busy network still works.
    """
    prefix = token_prefix(raw)
    guard = throttle.for_api_token(prefix=prefix or "malformed", ip=throttle.client_ip(request))
    wait = throttle.retry_after(guard)
    if wait:
        _failed(request, prefix, "throttled")
        raise ApiTokenThrottled(wait)
    found = api_token_authenticate(raw)
    if found is not None:
        throttle.reset(guard)
        return found
    throttle.register_failure(guard)
    refused = max(throttle.retry_after(guard), throttle.address_retry_after(guard))
    _failed(request, prefix, "throttled" if refused else "bad_token")
    if refused:
        raise ApiTokenThrottled(refused)
    return None

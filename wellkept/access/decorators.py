"""Policy declarations on views: every URL's view says what it may touch.

A declaration is metadata (``view.wellkept_policy``), read by the URL
coverage test and by readers. It does not replace the check: a view that
touches personal data still fetches it through ``get_for``/``visible``/``can``,
which decide per object and audit. What the declaration buys is that a view
nobody thought about cannot be added quietly: without one, the test fails.

    @policy(action=Action.READ, resource=ResourceKind.ORG_CONFIG,
            purpose=Purpose.SERVICE_ADMINISTRATION)
    def invitation_list(request): ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from django.core.exceptions import ImproperlyConfigured

from wellkept.access.actions import Action
from wellkept.access.purposes import PROHIBITED, Purpose, parse_purpose
from wellkept.access.resources import ResourceKind

V = TypeVar("V")

ATTRIBUTE = "wellkept_policy"


@dataclass(frozen=True)
class ViewPolicy:
    kind: Literal["public", "self_service", "policy"]
    action: Action | None = None
    resource: ResourceKind | None = None
    purpose: Purpose | None = None

    def __str__(self) -> str:
        if self.kind != "policy":
            return self.kind
        return f"policy({self.action}, {self.resource}, {self.purpose})"


PUBLIC = ViewPolicy("public")
SELF_SERVICE = ViewPolicy("self_service")


def _declare(view: V, declaration: ViewPolicy) -> V:
    setattr(view, ATTRIBUTE, declaration)
    return view


def public(view: V) -> V:
    """Declare a page anyone may open without signing in; it shows no personal data."""
    return _declare(view, PUBLIC)


def self_service(view: V) -> V:
    """Declare a page where a signed-in person manages only their own account or session."""
    return _declare(view, SELF_SERVICE)


def policy(*, action: Action | str, resource: ResourceKind | str, purpose: Purpose | str) -> Any:
    """Declare the action, resource kind and purpose of a view that touches personal data."""
    chosen = parse_purpose(purpose)
    if chosen in PROHIBITED:
        # Refused where it is written, before the server even starts.
        raise ImproperlyConfigured(
            f"A view cannot declare the prohibited purpose {chosen.value!r}."
        )
    declaration = ViewPolicy(
        "policy", action=Action(action), resource=ResourceKind(resource), purpose=chosen
    )

    def decorate(view: V) -> V:
        return _declare(view, declaration)

    return decorate

"""Policy declarations on views: every URL's view says what it may touch.

A declaration is metadata (``view.wellkept_policy``), read by the URL
coverage test and by readers. It does not replace the check: a view that
touches personal data still fetches it through ``get_for``/``visible``/``can``,
which decide per object and audit. What the declaration buys is that a view
nobody thought about cannot be added quietly: without one, the test fails.

A guard in ``access.guards`` (``privacy_officer_only``) takes its action,
kind and purpose from the declaration, and while it serves the view every
decision on the declared kind must be for the declared action
(``check_declared``): the permission is written once and cannot drift.

    @policy(action=Action.READ, resource=ResourceKind.ORG_CONFIG,
            purpose=Purpose.SERVICE_ADMINISTRATION)
    def invitation_list(request): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, TypedDict, TypeVar

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
    # Further actions on the same kind the page takes, said where it is
    # declared: a form page that shows what it changes also reads it.
    also: tuple[Action, ...] = ()

    def __str__(self) -> str:
        if self.kind != "policy":
            return self.kind
        more = "".join(f", also {a}" for a in self.also)
        return f"policy({self.action}, {self.resource}, {self.purpose}{more})"

    def allows(self, action: Action) -> bool:
        return action == self.action or action in self.also


# The declaration of the view being served, while a guard runs it
# (``serving``); the policy holds every decision on the declared resource
# kind to the declared action, so the two cannot silently disagree.
_SERVING: ContextVar[ViewPolicy | None] = ContextVar("wellkept_serving", default=None)


class DeclarationMismatch(ImproperlyConfigured):
    """A view checks another action on its declared resource kind than it declares."""


def declaration_of(view: object) -> ViewPolicy | None:
    """The declaration a view (or a guard's wrapper of it) carries, if any."""
    found = getattr(view, ATTRIBUTE, None)
    return found if isinstance(found, ViewPolicy) else None


@contextmanager
def serving(declaration: ViewPolicy) -> Iterator[ViewPolicy]:
    """Hold every decision on the declared kind to the declared action while a view runs."""
    token = _SERVING.set(declaration)
    try:
        yield declaration
    finally:
        _SERVING.reset(token)


def check_declared(action: Action | str, kind: ResourceKind | str) -> None:
    """Refuse a decision on the served view's resource kind for an undeclared action."""
    declared = _SERVING.get()
    if declared is None or declared.resource != ResourceKind(kind):
        return
    if not declared.allows(Action(action)):
        raise DeclarationMismatch(
            f"The view declares {declared} but checks {Action(action).value} on "
            f"{ResourceKind(kind).value}: make the declaration and the check agree."
        )


class PolicyScope(TypedDict):
    """The resource kind and purpose that several views of one page family share."""

    resource: ResourceKind | str
    purpose: Purpose | str


class PolicyArgs(PolicyScope):
    """A whole ``@policy`` declaration that several views share."""

    action: Action | str


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


def policy(
    *,
    action: Action | str,
    resource: ResourceKind | str,
    purpose: Purpose | str,
    also: tuple[Action | str, ...] = (),
) -> Callable[[V], V]:
    """Declare the action, resource kind and purpose of a view that touches personal data.

    ``also`` names any further action the page takes on the same kind (a
    form page that shows what it updates also reads it).
    """
    chosen = parse_purpose(purpose)
    if chosen in PROHIBITED:
        # Refused where it is written, before the server even starts.
        raise ImproperlyConfigured(
            f"A view cannot declare the prohibited purpose {chosen.value!r}."
        )
    declaration = ViewPolicy(
        "policy",
        action=Action(action),
        resource=ResourceKind(resource),
        purpose=chosen,
        also=tuple(Action(a) for a in also),
    )

    def decorate(view: V) -> V:
        return _declare(view, declaration)

    return decorate

"""Policy declarations on views: every URL's view says what it may touch, and is held to it.

A declaration is carried by the view (``view.wellkept_policy``), read by the
URL coverage test and by readers, and enforced: ``@policy`` runs the view
inside ``serving(declaration)``, so every decision on the declared resource
kind during the request must be for the declared action (or one of its
``also`` actions; ``check_declared``). It does not replace the check: a view
that touches personal data still fetches it through
``get_for``/``visible``/``can``, which decide per object and audit. What the
declaration buys is that a view nobody thought about cannot be added quietly
(without one, the coverage test fails), and that the permission is written
once: guards and accessors take their action from it (``serving_declaration``).

A view whose check disagrees with its declaration is a programming error.
It is refused like any other page the person may not open (a 404, audited
as a denial, logged at error level), never a 500 that would tell an outsider
the page exists; and it is reported as a request exception
(``got_request_exception``), which error trackers hear and on which
Django's test client re-raises the ``DeclarationMismatch``, so it fails
loudly in tests. A management command class may carry a declaration too;
there it stays metadata.

    @policy(action=Action.READ, resource=ResourceKind.ORG_CONFIG,
            purpose=Purpose.SERVICE_ADMINISTRATION)
    def invitation_list(request): ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Literal, NotRequired, ParamSpec, TypedDict, TypeVar, overload

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest

from wellkept.access.actions import Action
from wellkept.access.purposes import PROHIBITED, Purpose, parse_purpose
from wellkept.access.resources import ResourceKind
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record

V = TypeVar("V")
C = TypeVar("C", bound=type)
P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger(__name__)

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


def serving_declaration() -> ViewPolicy | None:
    """The declaration of the view being served now, if any (for guards and accessors)."""
    return _SERVING.get()


def declared_action(kind: ResourceKind | str, fallback: Action) -> Action:
    """The served view's declared action on ``kind``, or ``fallback`` (another kind, no view)."""
    declared = _SERVING.get()
    if declared is None or declared.action is None or declared.resource != ResourceKind(kind):
        return fallback
    return declared.action


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
    also: NotRequired[tuple[Action | str, ...]]


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
) -> Declare:
    """Declare, and hold the view to, the action, resource kind and purpose it touches.

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
    return Declare(declaration)


class Declare:
    """Apply one ``@policy`` declaration: a view is held to it, a command class carries it."""

    def __init__(self, declaration: ViewPolicy) -> None:
        self.declaration = declaration

    @overload
    def __call__(self, target: C) -> C: ...

    @overload
    def __call__(self, target: Callable[P, R]) -> Callable[P, R]: ...

    def __call__(self, target: C | Callable[P, R]) -> C | Callable[P, R]:
        if isinstance(target, type):
            # A management command: declared for readers and the registry;
            # it runs no request, so there is nothing to serve.
            return _declare(target, self.declaration)
        return _declare(_enforce(target, self.declaration), self.declaration)


def _enforce(view: Callable[P, R], declaration: ViewPolicy) -> Callable[P, R]:
    @wraps(view)
    def held(*args: P.args, **kwargs: P.kwargs) -> R:
        with serving(declaration):
            try:
                return view(*args, **kwargs)
            except DeclarationMismatch as mismatch:
                request = args[0] if args else None
                if not isinstance(request, HttpRequest):
                    raise
                _refuse_mismatch(request, view, declaration, mismatch)
                raise Http404 from None

    return held


def _refuse_mismatch(
    request: HttpRequest,
    view: Callable[..., object],
    declaration: ViewPolicy,
    mismatch: DeclarationMismatch,
) -> None:
    """Record a view whose check disagrees with its declaration: audited, logged, reported."""
    # A write in progress at the mismatch rolled back with the exception
    # (requests are not atomic as a whole); this entry commits on its own.
    # The view's name is a reference, not content: it says where to fix.
    audit_record(
        actor=request.user,
        event=EventType.ACCESS_DENIED,
        target=f"{declaration.resource}:view:{view.__qualname__}",
        outcome=Outcome.DENIED,
        reason="the view checks another action than it declares",
        purpose=declaration.purpose.value if declaration.purpose else "",
        request=request,
    )
    logger.error("%s: %s", view.__qualname__, mismatch)
    # Called inside the view's except block, so receivers reading
    # sys.exc_info() (the test client, error trackers) get the mismatch.
    got_request_exception.send(sender=None, request=request)

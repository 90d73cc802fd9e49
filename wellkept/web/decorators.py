"""View decorators for cross-cutting web rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

V = TypeVar("V", bound=Callable[..., object])


def session_passive(view: V) -> V:
    """Mark a view whose requests the middleware must not count as activity.

    A page that polls (the session status check) would otherwise keep an
    abandoned session alive for ever, defeating the idle limit. A marked view
    that does mean activity (the keep-alive) records it itself, once it has
    accepted the request.
    """
    view.session_passive = True  # type: ignore[attr-defined]
    return view

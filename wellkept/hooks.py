"""Named, typed hooks: how a lower app tells the apps above it that something happened.

The layers run one way (see docs/architecture.md): an app may import only the
apps below it. When a write in a lower app must move something in an upper one
(a check-in's scores move the aggregates in ``insights``; a safety alert opens
a case in ``followup``), the lower app declares a ``Hook`` with a payload
dataclass and ``emit``s it; the upper app ``connect``s a receiver in its
``AppConfig.ready()``.

Receivers run synchronously, in order of connection, inside the emitter's
transaction: an exception in a receiver propagates to the emitter and rolls
its write back, exactly as a direct call would. That is deliberate: the
aggregates and the follow-up queue must never disagree with the answers.
These are not Django signals: every hook has one declaration that names it,
types its payload and can be found with grep, and an unknown name is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

P = TypeVar("P")

Receiver = Callable[[P], None]


class UnknownHook(LookupError):
    """No hook of that name is declared."""


_HOOKS: dict[str, Hook[Any]] = {}


class Hook(Generic[P]):
    """One declared hook: a unique name and the type of the payload it carries."""

    def __init__(self, name: str, payload: type[P]) -> None:
        if name in _HOOKS:
            raise ValueError(f"A hook named {name!r} is declared already.")
        self.name = name
        self.payload = payload
        self._receivers: list[Receiver[P]] = []
        _HOOKS[name] = self

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {self.payload.__name__})"

    @property
    def receivers(self) -> tuple[Receiver[P], ...]:
        return tuple(self._receivers)

    def connect(self, receiver: Receiver[P]) -> None:
        """Call ``receiver`` with every payload emitted from now on (once, however often asked)."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)

    def disconnect(self, receiver: Receiver[P]) -> None:
        self._receivers.remove(receiver)

    def emit(self, payload: P) -> None:
        """Hand ``payload`` to every receiver, in the caller's transaction; errors propagate."""
        if not isinstance(payload, self.payload):
            # A wrong payload is a programming error, caught at the emitter,
            # not a surprise inside some receiver in another app.
            raise TypeError(
                f"Hook {self.name!r} carries {self.payload.__name__}, not {type(payload).__name__}."
            )
        for receiver in tuple(self._receivers):
            receiver(payload)


def hook(name: str) -> Hook[Any]:
    """Return the hook declared under ``name``; raise ``UnknownHook`` for any other name."""
    try:
        return _HOOKS[name]
    except KeyError:
        raise UnknownHook(
            f"No hook is named {name!r}. Declared hooks: {', '.join(sorted(_HOOKS)) or 'none'}."
        ) from None


def connect(name: str, receiver: Callable[[Any], None]) -> None:
    """Connect ``receiver`` to the hook declared under ``name`` (refusing an unknown name)."""
    hook(name).connect(receiver)


def declared() -> dict[str, Hook[Any]]:
    """Every declared hook by name (for the docs test and for reading)."""
    return dict(_HOOKS)

"""The errors the instrument catalogue raises, each worded for the person who must fix it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


class InstrumentFileError(ValueError):
    """A definition file that cannot be used, with one plain sentence per problem."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        if len(self.problems) == 1:
            return f"{self.path.name}: {self.problems[0]}"
        lines = [f"{self.path.name} has {len(self.problems)} problems:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)


class UnknownInstrument(LookupError):
    """No shipped instrument has the requested code or version."""

    def __str__(self) -> str:
        # LookupError would quote the message like a dictionary key.
        return str(self.args[0]) if self.args else ""


class InvalidAnswers(ValueError):
    """Answers that cannot be scored: unknown items or values that are not options."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))

"""Password rules (placeholder; replaced by the accounts work)."""

from __future__ import annotations

from typing import Any


class LengthValidator:
    def validate(self, password: str, user: Any = None) -> None:
        return None

    def get_help_text(self) -> str:
        return ""


class BreachedPasswordValidator(LengthValidator):
    pass


class ContextValidator(LengthValidator):
    pass

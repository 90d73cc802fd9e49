"""Typed readers for environment configuration.

Every setting Wellkept reads from the environment goes through these helpers so
that a bad value stops the process with a message naming the variable, what is
wrong, and what to do, instead of a stack trace deep inside a library.
Secrets may be given as ``NAME`` or as ``NAME_FILE`` (a path to a file holding
the value), which is how container orchestrators hand secrets over.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    """Read typed values from a mapping of environment variables."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def raw(self, name: builtins.str) -> builtins.str | None:
        """Return the value of ``name`` or of the file named by ``name_FILE``."""
        file_name = self._environ.get(f"{name}_FILE")
        value = self._environ.get(name)
        if file_name and value is not None:
            raise ImproperlyConfigured(
                f"Both {name} and {name}_FILE are set. Set only one of them."
            )
        if file_name:
            path = Path(file_name)
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ImproperlyConfigured(
                    f"{name}_FILE points to {file_name!r}, which cannot be read "
                    f"({exc.strerror}). Check the path and its permissions."
                ) from None
        return value

    def str(self, name: builtins.str, default: builtins.str) -> builtins.str:
        value = self.raw(name)
        return default if value is None else value.strip()

    def optional_str(self, name: builtins.str) -> builtins.str | None:
        value = self.raw(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def choice(
        self, name: builtins.str, default: builtins.str, choices: tuple[builtins.str, ...]
    ) -> builtins.str:
        value = self.str(name, default).lower()
        if value not in choices:
            raise ImproperlyConfigured(
                f"{name}={value!r} is not valid. Use one of: {', '.join(choices)}."
            )
        return value

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a yes/no value. Use 1 or 0 (true/false also work)."
        )

    def int(
        self,
        name: builtins.str,
        default: builtins.int,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
    ) -> builtins.int:
        value = self.raw(name)
        if value is None or not value.strip():
            result = default
        else:
            try:
                result = int(value.strip())
            except ValueError:
                raise ImproperlyConfigured(
                    f"{name}={value!r} is not a whole number. Give a number such as {default}."
                ) from None
        if minimum is not None and result < minimum:
            raise ImproperlyConfigured(f"{name}={result} is too small. The minimum is {minimum}.")
        if maximum is not None and result > maximum:
            raise ImproperlyConfigured(f"{name}={result} is too large. The maximum is {maximum}.")
        return result

    def list(
        self, name: builtins.str, default: builtins.list[builtins.str]
    ) -> builtins.list[builtins.str]:
        value = self.raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def path(self, name: builtins.str, default: Path) -> Path:
        value = self.optional_str(name)
        return Path(value).expanduser().resolve() if value else default


PRIVATE_UMASK = 0o077


def restrict_file_creation() -> None:
    """Create every file 0600 and every folder 0700 from now on in this process.

    The umask rather than a mode at each call: SQLite creates its -wal and
    -shm files, tempfile and the standard library create others, and each
    would otherwise be world-readable under a usual 022 umask.
    """
    os.umask(PRIVATE_UMASK)


def read_or_create_secret(path: Path, *, nbytes: int = 48) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use.

    Only used in development and demo mode; production must supply secrets.
    """
    import secrets

    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(nbytes)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value

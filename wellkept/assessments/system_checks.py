"""System check: a broken instrument definition file stops every command, with its reason."""

from __future__ import annotations

from typing import Any

from django.core import checks


def check_instrument_files(**kwargs: Any) -> list[checks.CheckMessage]:
    """Load every shipped definition file; report each problem as an error."""
    from wellkept.assessments.instruments import InstrumentFileError, all_versions

    try:
        all_versions()
    except InstrumentFileError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Fix the file, then run `wellkept instruments validate` on it.",
                id="assessments.E001",
            )
        ]
    return []

"""A malformed instrument file is reported by `wellkept check`, not by a crash later."""

from __future__ import annotations

from pathlib import Path

from wellkept.assessments.instruments import loader
from wellkept.assessments.instruments.errors import InstrumentFileError
from wellkept.assessments.system_checks import check_instrument_files


def test_it_is_silent_when_every_file_loads() -> None:
    assert check_instrument_files() == []


def test_it_reports_a_broken_file_as_an_error(monkeypatch) -> None:
    def broken() -> tuple[object, ...]:
        raise InstrumentFileError(Path("phq9-1.0.toml"), ["The bands overlap at 10."])

    monkeypatch.setattr(loader, "all_versions", broken)
    monkeypatch.setattr("wellkept.assessments.instruments.all_versions", broken)
    (error,) = check_instrument_files()
    assert error.id == "assessments.E001"
    assert "bands overlap" in error.msg

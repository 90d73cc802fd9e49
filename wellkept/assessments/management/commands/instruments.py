"""wellkept instruments: list the shipped instruments, validate definition files, export FHIR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.assessments.instruments import (
    Instrument,
    InstrumentFileError,
    UnknownInstrument,
    all_versions,
    get_instrument,
    load_instrument,
    to_fhir_json,
)
from wellkept.assessments.instruments.loader import DEFINITIONS


# Declared like a view: this command reads configuration (instrument
# definitions) and touches no personal data.
@policy(
    action=Action.READ, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(BaseCommand):
    help = "Validated instruments: list them, validate definition files, export FHIR."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("list", help="Show every shipped instrument version.")
        validate = sub.add_parser("validate", help="Check definition files; exit 1 on any problem.")
        validate.add_argument("paths", nargs="+", metavar="PATH", help="A .toml definition file.")
        export = sub.add_parser("export", help="Print an instrument as a FHIR R5 Questionnaire.")
        export.add_argument("code", help="Instrument code, e.g. phq9.")
        export.add_argument("--version", dest="instrument_version", help="Default: the latest.")
        export.add_argument("--format", choices=["fhir-json"], default="fhir-json")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (InstrumentFileError, UnknownInstrument) as exc:
            raise CommandError(str(exc)) from None

    def _list(self, options: dict[str, Any]) -> None:
        rows = [("code", "version", "items", "range", "title")]
        for instrument in all_versions():
            rows.append(
                (
                    instrument.code,
                    instrument.version,
                    _items(instrument),
                    f"{instrument.minimum}-{instrument.maximum}",
                    instrument.title,
                )
            )
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[4]]))

    def _validate(self, options: dict[str, Any]) -> None:
        paths = [Path(path) for path in options["paths"]]
        failed = 0
        for path in paths:
            try:
                instrument = load_instrument(path)
                _check_not_rewritten(instrument, path)
            except InstrumentFileError as exc:
                failed += 1
                self.stderr.write(str(exc))
                continue
            self.stdout.write(f"{path}: ok ({instrument.key}, {_items(instrument)} items)")
        if failed:
            raise CommandError(f"{failed} of {len(paths)} definition files have problems.")

    def _export(self, options: dict[str, Any]) -> None:
        instrument = get_instrument(options["code"], options["instrument_version"])
        self.stdout.write(to_fhir_json(instrument))


def _items(instrument: Instrument) -> str:
    scored = len(instrument.scored_items)
    extra = len(instrument.items) - scored
    return f"{scored}+{extra}" if extra else str(scored)


def _check_not_rewritten(instrument: Instrument, path: Path) -> None:
    # Stored answers name the version they were given under; a changed file
    # under a shipped version would silently rescore them.
    try:
        shipped = get_instrument(instrument.code, instrument.version)
    except UnknownInstrument:
        return
    if path.resolve().parent == DEFINITIONS or shipped == instrument:
        return
    raise InstrumentFileError(
        path,
        [
            f"{instrument.key} is already shipped with different content; "
            "give the changed definition a new version (for example "
            f"{instrument.code}-{_next_version(instrument.version)}.toml)."
        ],
    )


def _next_version(version: str) -> str:
    major, minor = version.split(".")
    return f"{major}.{int(minor) + 1}"

"""wellkept service-codes load: a practice's own CPT list, checked line by line, audited."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice.models import ServiceCode

pytestmark = pytest.mark.django_db


def run(*args: object) -> str:
    out = StringIO()
    call_command(*[str(a) for a in args], stdout=out)
    return out.getvalue()


def csv_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_it_loads_the_practices_codes_and_audits_it(practice, tmp_path):
    path = csv_file(tmp_path, "code,description\n90834,Therapy 45\n90837,Therapy 60\n")
    said = run("service-codes", "load", path, "--organisation", "harbour")
    assert "2 added, 0 changed, 0 deactivated" in said
    assert set(ServiceCode.objects.values_list("code", flat=True)) == {"90834", "90837"}
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_SERVICE_CODES_LOADED)
    assert entry.actor_label == "system:service-codes"


def test_it_deactivates_codes_left_out_and_changes_descriptions(practice, tmp_path):
    run(
        "service-codes",
        "load",
        csv_file(tmp_path, "90834,A\n90837,B\n"),
        "--organisation",
        "harbour",
    )
    said = run(
        "service-codes", "load", csv_file(tmp_path, "90834,A new\n"), "--organisation", "harbour"
    )
    assert "0 added, 1 changed, 1 deactivated" in said
    assert not ServiceCode.objects.get(code="90837").active


def test_it_changes_nothing_on_a_dry_run(practice, tmp_path):
    said = run(
        "service-codes",
        "load",
        csv_file(tmp_path, "90834,A\n"),
        "--organisation",
        "harbour",
        "--dry-run",
    )
    assert "Would load" in said
    assert not ServiceCode.objects.exists()
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_SERVICE_CODES_LOADED).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9083,Short\n", "not a CPT code"),
        ("90834\n", "a code and a description"),
        ("90834,A\n90834,B\n", "listed twice"),
        ("", "no service codes"),
    ],
)
def test_it_refuses_a_bad_file_with_the_line_and_reason(practice, tmp_path, text, message):
    with pytest.raises(CommandError, match=message):
        run("service-codes", "load", csv_file(tmp_path, text), "--organisation", "harbour")
    assert not ServiceCode.objects.exists()


def test_it_refuses_a_missing_file(practice, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("service-codes", "load", tmp_path / "none.csv", "--organisation", "harbour")

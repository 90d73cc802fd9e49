"""The releaser: a page's groups decided together as one by one would, reads that never write."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wellkept.insights.disclosure import Group, Releaser
from wellkept.insights.models import InsightsSettings, Release
from wellkept.insights.tests.builders import TODAY, WardWorld
from wellkept.insights.tests.test_attacks import group

pytestmark = pytest.mark.django_db


def _page(w: WardWorld) -> list[Group]:
    """Every group of the four classic attacks, in the order an attacker would ask."""
    return [
        group("all"),
        group("nurses", role="nurse"),
        group("medicine", units=[w.medicine]),
        group("medicine", units=[w.medicine], shift_id=str(w.h.day.pk)),
        group("ward", units=[w.h.ward]),
        group("icu", units=[w.h.icu]),
        group("all", shift_id=str(w.h.day.pk)),
        group("all", shift_id=str(w.rotating.pk)),
        group("surgery", units=[w.surgery]),
        group("night", units=[w.night_team]),
    ]


def test_it_decides_a_batch_as_one_request_at_a_time_would(ward_world: WardWorld) -> None:
    w = ward_world
    groups = _page(w)
    one_by_one = {}
    for wanted in groups:
        figure = Releaser(w.h.organisation, today=TODAY).release([wanted])[wanted.key]
        one_by_one[wanted.key] = (figure.shown, figure.hidden)
    Release.objects.filter(organisation=w.h.organisation).delete()
    together = Releaser(w.h.organisation, today=TODAY).release(groups)
    assert {key: (f.shown, f.hidden) for key, f in together.items()} == one_by_one
    # Some groups are shown, and some only hidden because of the others.
    assert one_by_one[group("all").key] == (True, "")
    assert (False, "complement") in one_by_one.values()
    assert one_by_one[group("night", units=[w.night_team]).key] == (False, "small")


def test_it_answers_released_groups_without_writing(ward_world: WardWorld) -> None:
    w = ward_world
    groups = _page(w)
    Releaser(w.h.organisation, today=TODAY).release(groups)
    with CaptureQueriesContext(connection) as queries:
        again = Releaser(w.h.organisation, today=TODAY).release(groups)
    assert len(again) == len(groups)
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    # One query for the settings, one for every release asked for.
    assert len(queries) == 2


def test_it_creates_the_default_settings_on_the_first_release(ward_world: WardWorld) -> None:
    w = ward_world
    InsightsSettings.objects.filter(organisation=w.h.organisation).delete()
    figure = Releaser(w.h.organisation, today=TODAY).release([group("all")])[group("all").key]
    assert figure.shown
    settings = InsightsSettings.objects.get(organisation=w.h.organisation)
    assert settings.min_group_size == 5


def test_it_uses_the_minimum_group_size_set_when_it_releases(ward_world: WardWorld) -> None:
    w = ward_world
    releaser = Releaser(w.h.organisation, today=TODAY)
    # Changed by the privacy officer after the page started: the release
    # decides with what holds under the lock.
    InsightsSettings.objects.update_or_create(
        organisation=w.h.organisation, defaults={"min_group_size": 50}
    )
    figure = releaser.release([group("all")])[group("all").key]
    assert not figure.shown
    assert figure.hidden == "small"


def test_it_does_not_load_numpy_to_serve_pages() -> None:
    """Commands and pages that release nothing new do not pay for the linear algebra."""
    code = (
        "import os, sys, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'wellkept.settings')\n"
        "django.setup()\n"
        "import wellkept.insights.selectors, wellkept.insights.store\n"
        "print('numpy' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"

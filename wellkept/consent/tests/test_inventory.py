"""The data inventory accounts for every stored field, exactly once, and its digest tracks it."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from wellkept.consent import inventory

# Models that hold data about a clinician in the programme: each of their
# stored fields must be declared, so the notice cannot leave one out.
COVERED_MODELS = (
    "orgs.Participant",
    "assessments.CheckIn",
    "assessments.Response",
    "assessments.SafetyAlert",
    "assessments.ReminderOptOut",
    "assessments.ReminderSent",
    "consent.ConsentRecord",
    "followup.Case",
    "followup.CaseMessage",
    "followup.CaseNote",
    "followup.IdentityGrant",
)


def _declared() -> Counter[str]:
    return Counter(name for item in inventory.INVENTORY for name in item.fields)


def _stored(label: str) -> list[str]:
    model = apps.get_model(label)
    return [f"{label}.{f.name}" for f in model._meta.concrete_fields if not f.primary_key]


@pytest.mark.parametrize("label", COVERED_MODELS)
def test_it_declares_every_stored_field_of_a_covered_model(label):
    declared = _declared()
    missing = [name for name in _stored(label) if declared[name] == 0]
    assert missing == [], f"Fields missing from the data inventory: {missing}"


def test_it_declares_each_field_in_exactly_one_item():
    repeated = {name: n for name, n in _declared().items() if n > 1}
    assert repeated == {}


def test_it_names_only_fields_that_exist():
    for item in inventory.INVENTORY:
        for name in item.fields:
            app_label, model_name, field_name = name.split(".")
            model = apps.get_model(app_label, model_name)
            try:
                model._meta.get_field(field_name)
            except FieldDoesNotExist:
                pytest.fail(f"{item.key} names {name}, which is not a field.")


def test_it_gives_every_item_a_unique_key():
    keys = [item.key for item in inventory.INVENTORY]
    assert len(keys) == len(set(keys))


def test_it_changes_the_digest_when_an_item_changes(monkeypatch):
    before = inventory.digest()
    changed = dataclasses.replace(inventory.INVENTORY[0], retention="Forever.")
    monkeypatch.setattr(inventory, "INVENTORY", (changed, *inventory.INVENTORY[1:]))
    assert inventory.digest() != before


def test_it_changes_the_digest_when_an_item_is_added(monkeypatch):
    before = inventory.digest()
    extra = dataclasses.replace(inventory.INVENTORY[-1], key="extra", fields=())
    monkeypatch.setattr(inventory, "INVENTORY", (*inventory.INVENTORY, extra))
    assert inventory.digest() != before


def test_it_keeps_the_digest_stable_between_calls():
    assert inventory.digest() == inventory.digest()

"""Forms for the clinician's side: joining the programme and answering one questionnaire."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from wellkept.assessments.instruments import Instrument
from wellkept.orgs.models import RoleCategory, ShiftType, Unit, UnitKind


def unit_choice_groups(units: list[Unit]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Group the units (in tree order) under their department, for a phone's picker.

    A department (or, above departments, a hospital or division) heads its
    group as "(whole department)"; its units follow by name. A unit with no
    department above it joins its parent's group. A person scrolls 13
    headed groups, or types a few letters (see unit-picker.js), instead of
    reading one flat list of every unit.
    """
    by_pk = {unit.pk: unit for unit in units}
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    keys: list[object] = []
    for unit in units:
        if unit.kind == UnitKind.UNIT and unit.parent_id in by_pk:
            head = by_pk[unit.parent_id]
            label = unit.name
        else:
            head = unit
            label = f"{unit.name} (whole {UnitKind(unit.kind).label.lower()})"
        if not keys or keys[-1] != head.pk:
            keys.append(head.pk)
            groups.append((head.name, []))
        groups[-1][1].append((str(unit.pk), label))
    return groups


class JoinForm(forms.Form):
    """Where the clinician works, and the two optional choices; taking part is the submit."""

    unit = forms.ModelChoiceField(
        label="Your unit or department",
        queryset=Unit.objects.none(),
        error_messages={
            "required": "Choose the unit or department you work in.",
            "invalid_choice": "That unit is not in the list. Choose your unit from the list.",
        },
    )
    shift_type = forms.ModelChoiceField(
        label="Your usual shift pattern",
        queryset=ShiftType.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose your usual shift pattern.",
            "invalid_choice": "That shift pattern is not in the list. Choose one from the list.",
        },
    )
    role_category = forms.ChoiceField(
        label="Your role",
        choices=RoleCategory.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose your role.",
            "invalid_choice": "That role is not in the list. Choose one from the list.",
        },
    )
    follow_up_contact = forms.BooleanField(required=False)
    safety_alert = forms.BooleanField(required=False)
    notice_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, units: QuerySet[Unit], shift_types: QuerySet[ShiftType], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        # The page shows the groups; the field still validates against the
        # queryset, so a unit outside the programme is refused whatever is posted.
        self.unit_groups = unit_choice_groups(list(units))
        self.fields["unit"].widget.choices = [("", "Choose your unit"), *self.unit_groups]
        self.fields["shift_type"].queryset = shift_types  # type: ignore[attr-defined]


def instrument_form_class(instrument: Instrument) -> type[forms.Form]:
    """Build a form with one radio group per item of the instrument."""
    fields: dict[str, forms.Field] = {}
    for number, item in enumerate(instrument.items, start=1):
        fields[item.id] = forms.TypedChoiceField(
            label=item.text,
            choices=[(str(o.value), o.label) for o in item.options],
            coerce=int,
            widget=forms.RadioSelect,
            required=item.scored,
            empty_value=None,
            error_messages={
                "required": f"Choose an answer for question {number}.",
                "invalid_choice": (
                    f"That answer is not one of the options for question {number}. "
                    "Choose one of the answers shown."
                ),
            },
        )
    return type(f"{instrument.code.title()}Form", (forms.Form,), fields)


class SubmitForm(forms.Form):
    """The idempotency key that makes a repeated final submission harmless."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

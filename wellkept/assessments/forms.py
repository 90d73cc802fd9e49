"""Forms for the clinician's side: joining the programme and answering one questionnaire."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from wellkept.assessments.instruments import Instrument
from wellkept.orgs.models import RoleCategory, ShiftType, Unit


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Indent by depth so the tree reads as a tree in a plain <select>.
        return "\u2003" * max(obj.depth - 1, 0) + obj.name


class JoinForm(forms.Form):
    """Where the clinician works, and the two optional choices; taking part is the submit."""

    unit = UnitChoiceField(
        label="Your unit",
        queryset=Unit.objects.none(),
        empty_label="Choose your unit",
        error_messages={
            "required": "Choose the unit you work in.",
            "invalid_choice": "That unit is not in the list. Choose your unit from the list.",
        },
    )
    shift_type = forms.ModelChoiceField(
        label="Your usual shift pattern",
        queryset=ShiftType.objects.none(),
        empty_label="Choose your shift pattern",
        error_messages={
            "required": "Choose your usual shift pattern.",
            "invalid_choice": "That shift pattern is not in the list. Choose one from the list.",
        },
    )
    role_category = forms.ChoiceField(
        label="Your role",
        choices=[("", "Choose your role"), *RoleCategory.choices],
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
        self.fields["shift_type"].queryset = shift_types  # type: ignore[attr-defined]


class ConsentChoicesForm(forms.Form):
    """The optional choices, changed while taking part, or given again for a new notice."""

    follow_up_contact = forms.BooleanField(required=False)
    safety_alert = forms.BooleanField(required=False)
    notice_version = forms.IntegerField(widget=forms.HiddenInput)


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

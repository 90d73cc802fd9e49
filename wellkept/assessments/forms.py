"""Forms of the programme: the clinician's (joining, answering) and the set-up pages'.

The set-up forms parse input; programmes.py validates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from wellkept.assessments.instruments import Instrument
from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.assessments.models import Frequency, SupportKind
from wellkept.assessments.programmes import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    PROGRAMME_NAME_MAX,
    RESOURCE_NAME_MAX,
    SCHEDULE_NAME_MAX,
    WELCOME_MAX,
)
from wellkept.orgs.models import Organisation, RoleCategory, ShiftType, Unit, UnitKind


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


INSTRUMENT_FIELD = "instrument_{}"


def _welcome_field() -> forms.CharField:
    return forms.CharField(
        label="Welcome text",
        required=False,
        max_length=WELCOME_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "A few plain sentences clinicians read before they decide to take part: what the "
            "programme is for, who sees what, and that it never serves discipline or "
            "employment decisions."
        ),
    )


class ProgrammeCreateForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), empty_label=None)
    name = forms.CharField(
        label="Programme name",
        max_length=PROGRAMME_NAME_MAX,
        help_text="Shown to clinicians, for example “Staff wellbeing check-in 2025”.",
    )
    welcome = _welcome_field()

    def __init__(self, *args: Any, organisations: Sequence[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["organisation"])
        field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in organisations])
        if len(organisations) == 1:
            # Nothing to choose: the page says which organisation it is for.
            field.initial = organisations[0].pk
            field.widget = forms.HiddenInput()


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ProgrammeForm(forms.Form):
    name = forms.CharField(label="Programme name", max_length=PROGRAMME_NAME_MAX)
    welcome = _welcome_field()
    units = UnitChoiceField(
        label="Units taking part",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A unit takes part with every unit below it.",
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["units"])
        field.queryset = units


def _instrument_choices() -> list[tuple[str, str]]:
    catalogue = shipped_instruments()
    return [("", "(none)")] + [
        (code, f"{instrument.title}")
        for code, instrument in sorted(catalogue.items(), key=lambda kv: kv[1].short_title)
    ]


class ScheduleForm(forms.Form):
    """A check-in: its name, how often, and the questionnaires in the order they are asked.

    One drop-down per position (as many as there are shipped instruments)
    gives the order without any script.
    """

    name = forms.CharField(
        label="Check-in name",
        max_length=SCHEDULE_NAME_MAX,
        help_text="Shown to clinicians, for example “Weekly check-in”.",
    )
    frequency = forms.ChoiceField(label="How often", choices=Frequency.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial_codes: list[str] = list(kwargs.pop("instruments", None) or [])
        super().__init__(*args, **kwargs)
        choices = _instrument_choices()
        for position in range(1, len(choices)):
            name = INSTRUMENT_FIELD.format(position)
            self.fields[name] = forms.ChoiceField(
                label=f"Questionnaire {position}",
                choices=choices,
                required=False,
            )
            if position <= len(initial_codes):
                self.fields[name].initial = initial_codes[position - 1]

    @property
    def instrument_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("instrument_")]

    def chosen_instruments(self) -> list[str]:
        """Return the chosen codes in position order, skipping empty positions."""
        return [
            self.cleaned_data[name]
            for name in self.fields
            if name.startswith("instrument_") and self.cleaned_data.get(name)
        ]


class SupportResourceForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=SupportKind.choices, widget=forms.RadioSelect)
    name = forms.CharField(label="Name", max_length=RESOURCE_NAME_MAX)
    contact = forms.CharField(
        label="How to reach it",
        max_length=CONTACT_MAX,
        help_text="A phone number, an e-mail address or a web link starting with https://.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="When to use it and when it is open, for example “24 hours, free”.",
    )

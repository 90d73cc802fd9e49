"""The privacy officer's form for disclosure-control settings."""

from __future__ import annotations

from typing import Any

from django import forms

from wellkept.insights.models import MAX_NARROWING_SHARE, MIN_GROUP_SIZE_FLOOR
from wellkept.insights.periods import PERIODS_PER_QUARTER

# The same bounds as the model's validators, said in words a privacy officer
# can act on; the service and the database check them again.
K_MAX = 50
QUARTER_EPSILON = (0.01, 20.0)
RELEASE_EPSILON = (0.001, 5.0)


def _between(what: str, low: float, high: float) -> dict[str, str]:
    message = f"Enter {what} from {low:g} to {high:g}."
    return {
        "required": message,
        "invalid": message,
        "min_value": message,
        "max_value": message,
    }


class InsightsSettingsForm(forms.Form):
    """Minimum group size, differential-privacy mode and its privacy budget."""

    min_group_size = forms.IntegerField(
        label="Minimum group size (k)",
        min_value=MIN_GROUP_SIZE_FLOOR,
        max_value=K_MAX,
        help_text=(
            f"The fewest people a shown figure may describe. Never below {MIN_GROUP_SIZE_FLOOR}: "
            "smaller groups single people out. 5 is the usual choice for scores."
        ),
        error_messages={
            **_between("the minimum group size as a whole number", MIN_GROUP_SIZE_FLOOR, K_MAX),
            "min_value": (
                f"The minimum group size cannot be below {MIN_GROUP_SIZE_FLOOR}: smaller groups "
                f"single people out. Enter a whole number from {MIN_GROUP_SIZE_FLOOR} to {K_MAX}."
            ),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    narrowing_share = forms.FloatField(
        label="Keep each person's score uncertain over at least this share of the range",
        min_value=0.0,
        max_value=MAX_NARROWING_SHARE,
        help_text=(
            "A figure is hidden if, with everything already shown, it would leave someone's "
            "score inside a narrower interval. 0.5 means half the questionnaire's range (0 to 3 "
            "of PHQ-2's 0 to 6 is too narrow). 0 hides only figures that pin a score exactly."
        ),
        error_messages=_between("the share as a number", 0.0, MAX_NARROWING_SHARE),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    dp_enabled = forms.BooleanField(
        label="Add differential-privacy noise to every released figure",
        required=False,
        help_text=(
            "Counts and means get calibrated random noise (OpenDP), shown with a 95% range. "
            "Each period's figures are noised once, for everyone, when first needed; each "
            "release spends the amount below of its quarter's budget."
        ),
    )
    epsilon_per_quarter = forms.FloatField(
        label="Privacy budget per quarter (\u03b5)",
        min_value=QUARTER_EPSILON[0],
        max_value=QUARTER_EPSILON[1],
        help_text="Everything released about one quarter's answers together. Smaller is more "
        "private and allows fewer figures.",
        error_messages=_between("the budget per quarter as a number", *QUARTER_EPSILON),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    epsilon_per_release = forms.FloatField(
        label="Spent per new group released (\u03b5)",
        min_value=RELEASE_EPSILON[0],
        max_value=RELEASE_EPSILON[1],
        help_text=(
            f"Spent once per period released (a quarter has up to {PERIODS_PER_QUARTER}: weeks, "
            "months and the quarter itself). Smaller adds more noise."
        ),
        error_messages=_between("the amount per release as a number", *RELEASE_EPSILON),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        per_quarter = cleaned.get("epsilon_per_quarter")
        per_release = cleaned.get("epsilon_per_release")
        # Every period of a quarter is released once: a budget that cannot
        # pay for all of them would leave the last ones hidden for everyone.
        if (
            per_quarter is not None
            and per_release is not None
            and per_release * PERIODS_PER_QUARTER > per_quarter + 1e-9
        ):
            self.add_error(
                "epsilon_per_release",
                forms.ValidationError(
                    f"The amount per release ({per_release:g}) times the {PERIODS_PER_QUARTER} "
                    f"periods of a quarter cannot be more than the budget per quarter "
                    f"({per_quarter:g}): the last periods could never be released. Lower it to "
                    f"{per_quarter / PERIODS_PER_QUARTER:.3g} or less, or raise the budget per "
                    "quarter.",
                    code="release_over_budget",
                ),
            )
        return cleaned

"""The aggregate store and the disclosure ledger.

Cells hold, per instrument and period, the sums every dashboard needs, for
each combination of unit, shift type and role category (an "atom"). They
are encrypted under the organisation's aggregate key: a cell that holds one
person is that person's score, so a database dump must not show it.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from wellkept import clock
from wellkept.insights.periods import Grain
from wellkept.orgs.models import Organisation, Participant
from wellkept.vault.fields import EncryptedTextField

# Never below 3, whatever an organisation sets (DESIGN.md, invariant 5).
MIN_GROUP_SIZE_FLOOR = 3
DEFAULT_MIN_GROUP_SIZE = 5
# A person's score must stay uncertain over at least this share of the range.
DEFAULT_NARROWING_SHARE = 0.5
MAX_NARROWING_SHARE = 0.9


def aggregate_subject(organisation_id: object) -> str:
    """The vault subject whose data key encrypts an organisation's aggregates."""
    return f"aggregates:{organisation_id}"


class InsightsSettings(models.Model):
    """An organisation's disclosure-control parameters, set by the privacy officer."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="insights_settings"
    )
    min_group_size = models.PositiveSmallIntegerField(
        default=DEFAULT_MIN_GROUP_SIZE,
        validators=[MinValueValidator(MIN_GROUP_SIZE_FLOOR), MaxValueValidator(50)],
        help_text="The fewest people a shown figure may describe (never below 3).",
    )
    dp_enabled = models.BooleanField(
        default=False,
        help_text="Add calibrated noise (differential privacy) to every released figure.",
    )
    epsilon_per_quarter = models.FloatField(
        default=18.0,
        validators=[MinValueValidator(0.01), MaxValueValidator(20.0)],
        help_text="Privacy budget (epsilon) for everything released about one quarter's data.",
    )
    epsilon_per_release = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.001), MaxValueValidator(5.0)],
        help_text="Epsilon spent by the one release of each period's figures.",
    )
    narrowing_share = models.FloatField(
        default=DEFAULT_NARROWING_SHARE,
        validators=[MinValueValidator(0.0), MaxValueValidator(MAX_NARROWING_SHARE)],
        help_text=(
            "Hide a figure that would leave someone's score inside an interval narrower than "
            "this share of the questionnaire's range."
        ),
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "insights settings"
        constraints = [
            models.CheckConstraint(
                name="insights_min_group_size_floor",
                condition=models.Q(min_group_size__gte=MIN_GROUP_SIZE_FLOOR),
            ),
            models.CheckConstraint(
                name="insights_narrowing_share_range",
                condition=models.Q(
                    narrowing_share__gte=0, narrowing_share__lte=MAX_NARROWING_SHARE
                ),
            ),
            models.CheckConstraint(
                name="insights_epsilons_positive",
                condition=models.Q(epsilon_per_quarter__gt=0, epsilon_per_release__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"insights settings of {self.organisation_id}"


class Cell(models.Model):
    """One instrument's sums for one period, per atom, encrypted as one JSON document.

    ``payload`` maps "<unit id>|<shift type id>|<role category>" to
    ``[responses, people, scored, sum, sum of squares, {band: count}]``.
    Packing a period's atoms into one row keeps a dashboard's reads to a
    few rows, whatever the number of responses behind them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=32)
    grain = models.CharField(max_length=8, choices=Grain.choices)
    period_start = models.DateField()
    payload = EncryptedTextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "instrument", "grain", "period_start"],
                name="cell_one_per_period",
            ),
            models.CheckConstraint(
                name="cell_grain_valid", condition=models.Q(grain__in=Grain.values)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.grain} {self.period_start}"

    @property
    def dek_subject(self) -> str:
        return aggregate_subject(self.organisation_id)


class Contribution(models.Model):
    """Which atom a participant is counted under, once, for an instrument and period.

    A person who answered twice in a month, once from each of two units,
    adds two responses but one person: they are counted in the atom of
    their first response there. Every group then counts at most the people
    it really holds, so the minimum group size is never overstated.
    The same facts (token, day, unit, shift, role) are already in the
    responses table; nothing here is new.
    """

    id = models.BigAutoField(primary_key=True)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="contributions"
    )
    instrument = models.CharField(max_length=32)
    grain = models.CharField(max_length=8, choices=Grain.choices)
    period_start = models.DateField()
    atom = models.CharField(max_length=120)
    first_day = models.DateField()
    first_response_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "instrument", "grain", "period_start"],
                name="contribution_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"contribution {self.pk}"


class EnrolmentCell(models.Model):
    """How many people take part, per atom: the denominator of participation rates."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    # {"<atom>": count}, encrypted for the same reason as a cell.
    payload = EncryptedTextField()

    def __str__(self) -> str:
        return f"enrolment of {self.organisation_id}"

    @property
    def dek_subject(self) -> str:
        return aggregate_subject(self.organisation_id)


class Release(models.Model):
    """One group released to anyone in the organisation: the differencing ledger.

    Whoever viewed it, a group once released stays released: the next
    request for a group is checked against every group already out about
    the same quarter's data, and the same group is answered with the same
    figures (``figures``), so that asking twice, or before and after a
    change, reveals nothing new.
    """

    id = models.BigAutoField(primary_key=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # An instrument code, or "enrolment" for participation denominators.
    family = models.CharField(max_length=32)
    quarter = models.DateField(null=True, blank=True)
    group_key = models.CharField(max_length=400)
    # The released figures (already past disclosure control), or null when
    # the group was refused: a refusal is remembered too, so that it stays
    # refused instead of being reconsidered against a different ledger.
    figures = models.JSONField(null=True, blank=True)
    # The exact totals behind the figures (answers, scored answers, total
    # score, answers per band): the right-hand sides of the auditor's
    # equations once an erasure has changed the cells. The auditor already
    # treats them as known to every viewer, so they are no more than released.
    exact = models.JSONField(null=True, blank=True)
    suppressed_reason = models.CharField(max_length=40, blank=True)
    # Which of the auditor's checks refused the group (``auditor.Reason``), for the record.
    refused_because = models.CharField(max_length=20, blank=True)
    epsilon_spent = models.FloatField(default=0.0)
    released_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "family", "group_key"], name="release_once_per_group"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "family", "quarter"])]

    def __str__(self) -> str:
        return self.group_key


class ErasedAnswers(models.Model):
    """Answers taken out of one week's cells by an erasure or a retention purge.

    Figures released before stay frozen with those answers in them, so the
    auditor keeps each such answer as an unknown in the equations of the
    figures released before it went (``epoch``: the last release then), and
    an erasure never opens a difference. ``payload`` maps "<atom>" to a list
    of ``[epoch, answers, scored answers]``; it is encrypted like a cell,
    because a small count of erased answers in a small atom is a fact about
    a person. No score is kept: it went with the person's key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=32)
    week = models.DateField()
    payload = EncryptedTextField()

    class Meta:
        verbose_name_plural = "erased answers"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "instrument", "week"], name="erased_once_per_week"
            ),
        ]

    def __str__(self) -> str:
        return f"erased {self.instrument} {self.week}"

    @property
    def dek_subject(self) -> str:
        return aggregate_subject(self.organisation_id)


class EnrolmentSnapshot(models.Model):
    """The enrolment counts frozen at a quarter's first participation figure.

    Every participation figure of the quarter is computed from this copy, so
    two of them never describe enrolment at two moments: people joining or
    leaving in between cannot be seen by subtracting one from the other.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    quarter = models.DateField()
    payload = EncryptedTextField()
    taken_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "quarter"], name="enrolment_snapshot_once_per_quarter"
            ),
        ]

    def __str__(self) -> str:
        return f"enrolment of {self.organisation_id} in {self.quarter}"

    @property
    def dek_subject(self) -> str:
        return aggregate_subject(self.organisation_id)


class NoisyRelease(models.Model):
    """Differential-privacy mode: one period's noisy figures, computed once for everyone.

    When a period closes (or is first asked for), every group any dashboard
    can show about it is noised at once and stored here; the budget is spent
    once for the whole period, and every viewer is answered from this row.
    """

    id = models.BigAutoField(primary_key=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=32)
    grain = models.CharField(max_length=8, blank=True)
    period_start = models.DateField()
    quarter = models.DateField()
    # {group key: figure as JSON, or null when hidden}
    figures = models.JSONField()
    epsilon_spent = models.FloatField(default=0.0)
    released_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "family", "grain", "period_start"],
                name="noisy_release_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"noisy {self.family} {self.grain} {self.period_start}"


class PrivacyBudget(models.Model):
    """Epsilon spent on one quarter's data in differential-privacy mode."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=32)
    quarter = models.DateField(null=True, blank=True)
    spent = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "family", "quarter"], name="budget_once_per_quarter"
            ),
            models.CheckConstraint(
                name="budget_spent_nonnegative", condition=models.Q(spent__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"budget {self.family} {self.quarter}"


class ApiToken(models.Model):
    """A personal token for scripts reading one organisation's aggregates through the API.

    Stored as a public lookup prefix and a keyed MAC of the whole token
    (``accounts.tokens``): a database dump gives neither the token nor a way
    to test guesses offline. The raw token is shown once, when created.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80, blank=True)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    mac = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The day only: enough to find unused tokens, too coarse to track a script's rhythm.
    last_used_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="api_token_expires_after_creation",
                condition=models.Q(expires_at__gt=models.F("created_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"API token {self.prefix}"

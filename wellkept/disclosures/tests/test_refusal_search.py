"""Whatever the basis, the request and the day, a disclosure releases exactly what its basis allows.

The examples in test_services.py check one refusal each. Here Hypothesis
searches the whole space an attacker (or a hurried therapist) can reach:
an authorisation of either kind, for Ada or for Ben, with any categories,
date range and expiry, revoked or not; a legal basis; both bases or none;
any categories asked for (psychotherapy notes and an unknown category
included), any date range, on any later day. The rule is written out
below a second time, on its own, from the issue's words; the service must
agree with it on every draw, and:

- a refusal writes no disclosure and no link, and leaves its denial in
  the audit trail;
- a release's package, as the recipient downloads it, holds the signed
  progress note only when progress notes were released and its date is
  in range, and the psychotherapy note only under the psychotherapy-notes
  authorisation, never under anything else.

The search runs once, in the SQLite suite (``one_engine``): what it adds to
the example for each rule in ``test_services.py``, which run on both
engines, is the space searched, which no engine changes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, replace
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wellkept import clock
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.tests import trail
from wellkept.disclosures import services
from wellkept.disclosures.models import (
    PSYCHOTHERAPY_NOTES,
    AuthorisationKind,
    Category,
    Disclosure,
    DisclosureLink,
    LegalBasisKind,
)
from wellkept.disclosures.tests.helpers import GP, PURPOSE, readable
from wellkept.practice import services as practice_services
from wellkept.practice.tests.conftest import ADA_LEGAL
from wellkept.practice.tests.notes_helpers import signed

PROGRESS_MARK = b"Kestrelcanary"  # in the signed progress note's subjective section
PNOTE_MARK = b"Okapisearchcanary"
ORDINARY = [c.value for c in Category]
ASKABLE = [*ORDINARY, PSYCHOTHERAPY_NOTES, "bogus"]


@dataclass(frozen=True)
class Basis:
    """What the therapist discloses under, in days relative to the day the story starts."""

    authorisation: str | None  # "records" or "pnotes", or None
    owner: str  # "ada" or "ben"
    categories: tuple[str, ...]
    covers: tuple[int, int]  # records_from, records_to offsets (days before the start)
    expires_in: int
    revoked: bool
    legal_basis: bool


@dataclass(frozen=True)
class Ask:
    categories: tuple[str, ...]
    records: tuple[int, int]  # records_from, records_to offsets (days before the start)
    later: int  # days after the start on which the disclosure is asked for


# A search drawn at random would rarely come near a release: a refusal needs one rule broken, a
# release needs all of them kept. So each case starts from a release the rule allows and then
# breaks none, one or two rules (MUTATIONS), and every rule gets broken alone many times a run.
MUTATIONS = (
    "no basis",
    "legal basis instead",
    "both bases",
    "revoked",
    "another client's",
    "expired",
    "last day",
    "category added",
    "no category",
    "earlier records",
    "later records",
    "range reversed",
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Basis, Ask]:
    kind = draw(st.sampled_from(["records", "records", "pnotes"]))
    if kind == "records":
        categories = tuple(sorted(draw(st.sets(st.sampled_from(ORDINARY), min_size=1))))
    else:
        categories = (PSYCHOTHERAPY_NOTES,)
    covers_to = draw(st.integers(0, 200))
    covers_from = covers_to + draw(st.integers(0, 200))
    expires_in = draw(st.integers(1, 120))
    basis = Basis(kind, "ada", categories, (covers_from, covers_to), expires_in, False, False)
    wanted_to = draw(st.integers(covers_to, covers_from))
    ask = Ask(
        categories=tuple(sorted(draw(st.sets(st.sampled_from(categories), min_size=1)))),
        records=(draw(st.integers(wanted_to, covers_from)), wanted_to),
        later=draw(st.integers(0, expires_in)),
    )
    count = draw(st.sampled_from([0, 1, 1, 1, 2]))
    for mutation in [draw(st.sampled_from(MUTATIONS)) for _ in range(count)]:
        if mutation == "no basis":
            basis = replace(basis, authorisation=None)
        elif mutation == "legal basis instead":
            basis = replace(basis, authorisation=None, legal_basis=True)
        elif mutation == "both bases":
            basis = replace(basis, legal_basis=True)
        elif mutation == "revoked":
            basis = replace(basis, revoked=True)
        elif mutation == "another client's":
            basis = replace(basis, owner="ben")
        elif mutation == "expired":
            ask = replace(ask, later=basis.expires_in + draw(st.integers(1, 60)))
        elif mutation == "last day":
            ask = replace(ask, later=basis.expires_in)
        elif mutation == "category added":
            added = draw(st.sampled_from(ASKABLE))
            ask = replace(ask, categories=tuple(sorted({*ask.categories, added})))
        elif mutation == "no category":
            ask = replace(ask, categories=())
        elif mutation == "earlier records":
            ask = replace(ask, records=(basis.covers[0] + draw(st.integers(1, 60)), ask.records[1]))
        elif mutation == "later records" and basis.covers[1] > 0:
            ask = replace(ask, records=(ask.records[0], draw(st.integers(0, basis.covers[1] - 1))))
        elif mutation == "range reversed" and ask.records[0] != ask.records[1]:
            ask = replace(ask, records=(ask.records[1], ask.records[0]))
    return basis, ask


def allowed(basis: Basis, ask: Ask) -> bool:
    """The rule, from the issue: released only under a current basis, and only what it covers."""
    has_authorisation = basis.authorisation is not None
    if has_authorisation == basis.legal_basis:  # none, or both at once
        return False
    asked = set(ask.categories)
    wanted_from, wanted_to = ask.records
    if not asked or "bogus" in asked or wanted_from < wanted_to:
        return False
    if PSYCHOTHERAPY_NOTES in asked and basis.authorisation != "pnotes":
        return False
    if basis.legal_basis:
        return basis.owner == "ada"  # recorded for the client the disclosure is about
    covers_from, covers_to = basis.covers
    return (
        basis.owner == "ada"
        and not basis.revoked
        and ask.later <= basis.expires_in
        and asked <= set(basis.categories)
        and covers_from >= wanted_from
        and wanted_to >= covers_to
    )


def _released(raw: str) -> bytes:
    """What the recipient reads in the package: every file, attachments decoded."""
    got = services.package_download(raw=raw)
    assert got is not None, "a fresh link downloads nothing"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert {n for n in files if n.endswith(".json")}, "a package without its FHIR documents"
    return readable(files)


def _story(practice, start: dt.date, basis: Basis):  # type: ignore[no-untyped-def]
    """Plant the notes and record the basis; return (authorisation, legal basis)."""
    signed(practice)
    practice_services.pnote_write(
        actor=practice.people["tess"],
        client=practice.clients["ada"],
        body=f"Process note: {PNOTE_MARK.decode()} again.",
    )
    authorisation = legal = None
    if basis.authorisation is not None:
        owner = practice.clients[basis.owner]
        authorisation = services.authorisation_sign(
            actor=practice.people["tess" if basis.owner == "ada" else "theo"],
            client=owner,
            kind=(
                AuthorisationKind.RECORDS
                if basis.authorisation == "records"
                else AuthorisationKind.PSYCHOTHERAPY_NOTES
            ),
            categories=basis.categories,
            records_from=start - dt.timedelta(days=basis.covers[0]),
            records_to=start - dt.timedelta(days=basis.covers[1]),
            expires_on=start + dt.timedelta(days=basis.expires_in),
            recipient=GP,
            purpose=PURPOSE,
            signed_name=ADA_LEGAL if basis.owner == "ada" else "Ben Samplesby",
        )
        if basis.revoked:
            services.authorisation_revoke(
                actor=practice.people["tess" if basis.owner == "ada" else "theo"],
                authorisation=authorisation,
                reason="The client withdrew it in writing.",
            )
    if basis.legal_basis:
        legal = services.legal_basis_record(
            actor=practice.people["tess" if basis.owner == "ada" else "theo"],
            client=practice.clients[basis.owner],
            kind=LegalBasisKind.COURT_ORDER,
            reference="2026-CV-0420",
            reason="Order 2026-CV-0420 of the county court requires the records.",
        )
    return authorisation, legal


@pytest.mark.one_engine
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
# Each boundary pinned, so every run tries it: the expiry day itself and the day after; a
# range exactly the authorisation's; psychotherapy notes under a records authorisation and
# under a court order; and the one release of psychotherapy notes.
@example(
    case=(
        Basis("records", "ada", ("progress_notes",), (30, 0), 10, False, False),
        Ask(("progress_notes",), (30, 0), 10),
    )
)
@example(
    case=(
        Basis("records", "ada", ("progress_notes",), (30, 0), 10, False, False),
        Ask(("progress_notes",), (30, 0), 11),
    )
)
@example(
    case=(
        Basis("records", "ada", tuple(ORDINARY), (30, 0), 10, False, False),
        Ask(("progress_notes", PSYCHOTHERAPY_NOTES), (30, 0), 0),
    )
)
@example(
    case=(
        Basis(None, "ada", (), (0, 0), 1, False, True),
        Ask((PSYCHOTHERAPY_NOTES,), (30, 0), 0),
    )
)
@example(
    case=(
        Basis("pnotes", "ada", (PSYCHOTHERAPY_NOTES,), (30, 0), 10, False, False),
        Ask((PSYCHOTHERAPY_NOTES,), (30, 0), 5),
    )
)
@example(
    case=(
        Basis("pnotes", "ben", (PSYCHOTHERAPY_NOTES,), (30, 0), 10, False, False),
        Ask((PSYCHOTHERAPY_NOTES,), (30, 0), 0),
    )
)
@example(
    case=(
        Basis("records", "ada", ("progress_notes",), (30, 5), 10, False, False),
        Ask(("progress_notes",), (30, 4), 0),
    )
)
@example(
    case=(
        Basis("records", "ada", ("progress_notes",), (30, 5), 10, False, False),
        Ask(("progress_notes",), (31, 5), 0),
    )
)
@example(
    case=(
        Basis("records", "ada", ("progress_notes",), (30, 0), 10, False, True),
        Ask(("progress_notes",), (30, 0), 0),
    )
)
@example(
    case=(
        Basis(None, "ben", (), (30, 0), 10, False, True),
        Ask(("progress_notes",), (30, 0), 0),
    )
)
@example(
    case=(
        Basis("records", "ada", ("progress_notes",), (30, 0), 10, False, False),
        Ask(("progress_notes",), (5, 10), 0),
    )
)
def test_a_disclosure_releases_exactly_what_its_basis_allows(practice, case):
    basis, ask = case
    start = clock.now()
    today = start.astimezone(dt.UTC).date()
    with transaction.atomic():
        authorisation, legal = _story(practice, today, basis)
        before = trail.mark()
        disclosures = Disclosure.objects.count()
        links = DisclosureLink.objects.count()
        later = start + dt.timedelta(days=ask.later)
        with mock.patch.object(clock, "now", return_value=later):
            try:
                issued = services.disclosure_make(
                    actor=practice.people["tess"],
                    client=practice.clients["ada"],
                    categories=ask.categories,
                    records_from=today - dt.timedelta(days=ask.records[0]),
                    records_to=today - dt.timedelta(days=ask.records[1]),
                    authorisation=authorisation,
                    legal_basis=legal,
                    recipient=GP,
                )
            except ValidationError:
                issued = None
            released = _released(issued.raw) if issued is not None else b""

        expected = allowed(basis, ask)
        assert (issued is not None) == expected, (
            f"{'released' if issued else 'refused'}, yet the rule says "
            f"{'release' if expected else 'refuse'}"
        )
        if issued is None:
            assert Disclosure.objects.count() == disclosures
            assert DisclosureLink.objects.count() == links
            denials = [
                e
                for e in trail.written_since(before)
                if e.event == EventType.ACCESS_DENIED and e.outcome == Outcome.DENIED
            ]
            assert len(denials) == 1, "a refusal must stay in the trail, once"
        else:
            asked = set(ask.categories)
            yesterday, written = 1, 0  # the notes' days, before the start
            progress_in_range = ask.records[0] >= yesterday >= ask.records[1]
            pnote_in_range = ask.records[0] >= written >= ask.records[1]
            assert (PROGRESS_MARK in released) == ("progress_notes" in asked and progress_in_range)
            assert (PNOTE_MARK in released) == (PSYCHOTHERAPY_NOTES in asked and pnote_in_range)
            if PNOTE_MARK in released:
                assert basis.authorisation == "pnotes"
        transaction.set_rollback(True)


def test_the_rule_refuses_what_the_issue_names():
    """Prove the written-out rule: each refusal the issue names is a refusal here."""
    ok = Basis("records", "ada", ("progress_notes",), (30, 0), 10, False, False)
    ask = Ask(("progress_notes",), (30, 0), 0)
    assert allowed(ok, ask)
    assert not allowed(Basis(None, "ada", (), (0, 0), 1, False, False), ask)  # no basis
    assert not allowed(Basis("records", "ada", ("progress_notes",), (30, 0), 10, True, False), ask)
    assert not allowed(ok, Ask(("progress_notes",), (30, 0), 11))  # expired
    assert not allowed(ok, Ask(("demographics",), (30, 0), 0))  # category not covered
    assert not allowed(ok, Ask(("progress_notes",), (31, 0), 0))  # dates not covered
    assert not allowed(ok, Ask(("progress_notes", PSYCHOTHERAPY_NOTES), (30, 0), 0))
    assert not allowed(Basis("records", "ben", ("progress_notes",), (30, 0), 10, False, False), ask)
    assert not allowed(
        Basis(None, "ada", (), (0, 0), 1, False, True), Ask((PSYCHOTHERAPY_NOTES,), (1, 0), 0)
    )

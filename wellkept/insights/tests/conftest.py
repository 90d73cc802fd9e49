"""Fixtures for the insights tests; shared ones come from the assessments tests."""

from wellkept.assessments.tests.fixtures import _hospital_once, hospital_per_test, shared_hospital
from wellkept.insights.tests.builders import ward_world
from wellkept.insights.tests.fixtures import insights_hospital, staffed_hospital

__all__ = [
    "_hospital_once",
    "hospital_per_test",
    "insights_hospital",
    "shared_hospital",
    "staffed_hospital",
    "ward_world",
]

"""Fixtures for the insights tests; shared ones come from the assessments tests."""

from wellkept.assessments.tests.fixtures import hospital
from wellkept.insights.tests.builders import ward_world
from wellkept.insights.tests.fixtures import insights_hospital, staffed_hospital

__all__ = ["hospital", "insights_hospital", "staffed_hospital", "ward_world"]

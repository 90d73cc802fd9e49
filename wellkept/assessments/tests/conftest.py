"""Fixtures shared with other apps' tests live in ``fixtures``."""

from wellkept.assessments.tests.fixtures import _hospital_once, hospital_per_test, shared_hospital

__all__ = ["_hospital_once", "hospital_per_test", "shared_hospital"]

"""Argon2id at its lowest cost, for the tests that are not about password hashing.

The production hasher (100 MiB, two passes, eight lanes) costs about
a tenth of a second a hash, and the suite hashes thousands of passwords it
never tests the cost of. This one runs the same code and writes the same
``argon2$argon2id$`` format with the smallest parameters Argon2 allows, so
every check_password, rehash and timing path is the real one. Tests about
hashing, its cost or its timing use the production hasher through the
``argon2`` marker (see conftest.py), and test_password_hashing.py fails if
the production settings ever stop using it.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with one pass over 8 KiB in one lane: microseconds, not a tenth of a second."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1

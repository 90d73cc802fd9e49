"""The practice's reads, one module per concept; none writes except the audit of a read."""

from wellkept.practice.selectors.clients import (
    PURPOSE,
    client_list,
    current_therapists,
    get_client_for,
    guardians,
    practices_of,
    staff_label,
    therapists,
)

__all__ = [
    "PURPOSE",
    "client_list",
    "current_therapists",
    "get_client_for",
    "guardians",
    "practices_of",
    "staff_label",
    "therapists",
]

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
from wellkept.practice.selectors.notes import (
    NOTE_PURPOSE,
    addenda,
    client_notes,
    client_pnotes,
    cosign_queue,
    get_note_for,
    get_pnote_for,
    service_codes,
)
from wellkept.practice.selectors.plans import (
    PLAN_PURPOSE,
    client_plans,
    get_plan_for,
    reviews_due,
)
from wellkept.practice.selectors.schedule import (
    calendar,
    client_appointments,
    feed_for,
    get_appointment_for,
    live_feed,
    may_read_calendar,
    rooms,
    supervisee_ids,
)

__all__ = [
    "NOTE_PURPOSE",
    "PLAN_PURPOSE",
    "PURPOSE",
    "addenda",
    "calendar",
    "client_appointments",
    "client_list",
    "client_notes",
    "client_plans",
    "client_pnotes",
    "cosign_queue",
    "current_therapists",
    "feed_for",
    "get_appointment_for",
    "get_client_for",
    "get_note_for",
    "get_plan_for",
    "get_pnote_for",
    "guardians",
    "live_feed",
    "may_read_calendar",
    "practices_of",
    "reviews_due",
    "rooms",
    "service_codes",
    "staff_label",
    "supervisee_ids",
    "therapists",
]

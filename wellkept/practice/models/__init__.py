"""The practice's models, one module per concept: clients now; schedule, notes and billing next."""

from wellkept.practice.models.clients import (
    BLIND_INDEX_LENGTH,
    CODE_ALPHABET,
    CODE_CHARACTERS,
    CODE_LENGTH,
    Client,
    ClientAssignment,
    ClientNameToken,
    ClientStatus,
    ContactChannel,
    Guardian,
    Supervision,
    new_client_code,
)
from wellkept.practice.models.schedule import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    CalendarFeed,
    Recurrence,
    Room,
)

__all__ = [
    "BLIND_INDEX_LENGTH",
    "CODE_ALPHABET",
    "CODE_CHARACTERS",
    "CODE_LENGTH",
    "HOLDING_STATUSES",
    "Appointment",
    "AppointmentSeries",
    "AppointmentStatus",
    "CalendarFeed",
    "Client",
    "ClientAssignment",
    "ClientNameToken",
    "ClientStatus",
    "ContactChannel",
    "Guardian",
    "Recurrence",
    "Room",
    "Supervision",
    "new_client_code",
]

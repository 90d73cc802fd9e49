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
from wellkept.practice.models.notes import (
    SERVICE_CODE_LENGTH,
    Addendum,
    NoteStatus,
    ProgressNote,
    PsychotherapyNote,
    ServiceCode,
    pnote_subject,
)

__all__ = [
    "BLIND_INDEX_LENGTH",
    "CODE_ALPHABET",
    "CODE_CHARACTERS",
    "CODE_LENGTH",
    "SERVICE_CODE_LENGTH",
    "Addendum",
    "Client",
    "ClientAssignment",
    "ClientNameToken",
    "ClientStatus",
    "ContactChannel",
    "Guardian",
    "NoteStatus",
    "ProgressNote",
    "PsychotherapyNote",
    "ServiceCode",
    "Supervision",
    "new_client_code",
    "pnote_subject",
]

"""The practice staff's pages (``/practice/``), one module per concept."""

from wellkept.practice.views.practice.clients import (
    client_assign,
    client_detail,
    client_edit,
    client_list,
    client_new,
    client_unassign,
)
from wellkept.practice.views.practice.schedule import (
    appointment_cancel,
    appointment_detail,
    appointment_mark,
    appointment_move,
    appointment_new,
    calendar_feed,
    feed_create,
    feed_revoke,
    schedule_day,
    schedule_week,
)

__all__ = [
    "appointment_cancel",
    "appointment_detail",
    "appointment_mark",
    "appointment_move",
    "appointment_new",
    "calendar_feed",
    "client_assign",
    "client_detail",
    "client_edit",
    "client_list",
    "client_new",
    "client_unassign",
    "feed_create",
    "feed_revoke",
    "schedule_day",
    "schedule_week",
]

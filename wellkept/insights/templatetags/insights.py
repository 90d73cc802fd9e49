"""Template helpers for the dashboards."""

from __future__ import annotations

from django import template

from wellkept.insights.disclosure import Figure

register = template.Library()


@register.filter
def reason(figure: Figure, k: int) -> str:
    """The plain sentence saying why a figure is hidden (never how many it holds)."""
    return figure.reason(int(k))

"""Small template helpers of the publishing pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Mapping[Any, Any], key: Any) -> Any:
    """``mapping[key]``, or None: a dict looked up by a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def weekday_name(number: int) -> str:
    """0 → Monday, in the active language."""
    from django.utils.dates import WEEKDAYS

    return str(WEEKDAYS.get(int(number), ""))

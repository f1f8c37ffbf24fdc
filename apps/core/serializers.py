"""Small response shapes shared across apps."""

import datetime as dt

from rest_framework import serializers


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


def iso(value) -> str | None:
    """A datetime as the API writes it: ISO 8601 in UTC, written "Z"."""
    if value is None:
        return None
    if getattr(value, "tzinfo", None) is not None and value.utcoffset():
        value = value.astimezone(dt.UTC)
    return value.isoformat().replace("+00:00", "Z")

"""Small response shapes shared across apps."""

from rest_framework import serializers


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


def iso(value) -> str | None:
    """A datetime as the API writes it: ISO 8601, UTC as "Z"."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None

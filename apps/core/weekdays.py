"""Day-of-week names, one vocabulary for campaigns' working days and agents' working hours."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NAMES = {**{day: day for day in WEEKDAYS}, **{day[:3]: day for day in WEEKDAYS},
          "tues": "tuesday", "thur": "thursday", "thurs": "thursday"}  # fmt: skip


def weekday(value) -> str | None:
    """ "Monday", "MON", "tues" -> "monday", "tuesday"; None for anything that is not a day."""
    return _NAMES.get(value.strip().lower()) if isinstance(value, str) else None


def weekday_of(moment) -> str:
    """The day name of a date or datetime (as read where it stands: convert to local time first)."""
    return WEEKDAYS[moment.weekday()]

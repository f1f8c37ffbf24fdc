"""The three lifecycle fields of a lead (DESIGN.md: never merged) and the spec documents' words for
them, mapped in this one place."""

from django.db import models


class LeadStatus(models.TextChoices):
    """The dialer's view: may this lead be called, and when."""

    NEW = "new", "New"
    QUEUED = "queued", "Queued"
    CALLING = "calling", "Calling"
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    DNC = "dnc", "Do not call"


# Statuses the dialer may pick up (when next_call_at is due).
DIALABLE_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.SCHEDULED})


class LeadStage(models.TextChoices):
    """The sales pipeline's view."""

    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    CONVERTED = "converted", "Converted"
    LOST = "lost", "Lost"


class Disposition(models.TextChoices):
    """The outcome of the last call."""

    COMPLETED = "completed", "Completed"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    VOICEMAIL = "voicemail", "Voicemail"
    NOT_INTERESTED = "not_interested", "Not interested"
    HUNG_UP = "hung_up", "Hung up"
    CALLBACK_REQUESTED = "callback_requested", "Callback requested"
    CONVERTED = "converted", "Converted"
    FAILED = "failed", "Failed"
    DO_NOT_CALL = "do_not_call", "Do not call"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class InterestLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class TimezoneSource(models.TextChoices):
    GIVEN = "given", "Given"
    NUMBER = "number", "From the number"
    GUESS = "guess", "Guessed from the number (its country has several zones)"
    UNKNOWN = "unknown", "Unknown"


class ActivityType(models.TextChoices):
    CREATED = "created", "Created"
    IMPORTED = "imported", "Imported"
    UPDATED = "updated", "Updated"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    SCHEDULED = "scheduled", "Scheduled"
    CONVERTED = "converted", "Converted"
    CALL_ATTEMPT = "call_attempt", "Call attempt"
    NOTE = "note", "Note"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"
    DNC = "dnc", "Marked do-not-call"
    CUSTOM = "custom", "Custom"


# Priority: 1 is the highest (spec 003). Spec 004 writes words; both are accepted.
PRIORITY_WORDS = {"urgent": 1, "high": 2, "normal": 3, "medium": 3, "low": 4, "lowest": 5}


# The spec documents' status words. Each maps to the field it really describes and, for filters,
# to every value it covers; for writes, to the one value it sets.
STATUS_WORDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # word: (field, values matched by a filter, value set by a write)
    "pending": ("status", (LeadStatus.NEW, LeadStatus.QUEUED, LeadStatus.SCHEDULED), LeadStatus.NEW),
    "in_progress": ("status", (LeadStatus.QUEUED, LeadStatus.CALLING, LeadStatus.SCHEDULED), LeadStatus.SCHEDULED),
    "completed": ("status", (LeadStatus.DONE,), LeadStatus.DONE),
    "blacklisted": ("status", (LeadStatus.DNC,), LeadStatus.DNC),
    "do_not_call": ("status", (LeadStatus.DNC,), LeadStatus.DNC),
    "closed_won": ("stage", (LeadStage.CONVERTED,), LeadStage.CONVERTED),
    "won": ("stage", (LeadStage.CONVERTED,), LeadStage.CONVERTED),
    "closed_lost": ("stage", (LeadStage.LOST,), LeadStage.LOST),
    **{value: ("status", (value,), value) for value in LeadStatus.values},
    # stage words that are not also status words
    **{value: ("stage", (value,), value) for value in LeadStage.values if value not in LeadStatus.values},
}


def status_word(word: str) -> tuple[str, tuple[str, ...], str] | None:
    """(field, values for filtering, value for writing) for any status word of the specs, else None."""
    return STATUS_WORDS.get((word or "").strip().lower().replace("-", "_").replace(" ", "_"))

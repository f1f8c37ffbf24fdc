"""Calls as the lead timeline records them: call_attempt entries (spec 003's manual record), until
the calls app keeps Call records. One reading for every figure built on them (campaign stats,
agent stats), so "answered" and "talk time" mean the same everywhere.

- outcome: the entry's disposition, "" when it has none;
- answered: any outcome but no_answer, busy, voicemail, failed (an entry without one was a
  conversation somebody wrote down);
- seconds: the duration when it is a number, never below 0; anything else (hand-written
  activities may carry "2 min") counts as 0 rather than failing the whole figure.
"""

from django.db.models import Case, CharField, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Cast, Coalesce, Greatest

from apps.leads.choices import ActivityType, Disposition
from apps.leads.models import LeadActivity

UNANSWERED = (Disposition.NO_ANSWER, Disposition.BUSY, Disposition.VOICEMAIL, Disposition.FAILED)
SUCCESSFUL = (Disposition.COMPLETED, Disposition.CALLBACK_REQUESTED, Disposition.CONVERTED)
ANSWERED = ~Q(outcome__in=UNANSWERED)


class _JsonType(Func):
    function = "jsonb_typeof"
    output_field = CharField()


def call_attempts(queryset: QuerySet | None = None) -> QuerySet:
    """Call attempts (of `queryset`, else of every lead activity) annotated with outcome and seconds."""
    queryset = LeadActivity.objects.all() if queryset is None else queryset
    return (
        queryset.filter(activity_type=ActivityType.CALL_ATTEMPT)
        .annotate(
            outcome=Coalesce(KT("metadata__disposition"), Value(""), output_field=CharField()),
            duration_type=_JsonType(KeyTransform("duration", "metadata")),
        )
        .annotate(
            seconds=Case(
                When(duration_type="number",
                     then=Greatest(Cast(KT("metadata__duration"), FloatField()), Value(0.0))),
                default=Value(0.0),
            )
        )
    )  # fmt: skip

"""Call records and what the dialer reads: Call, CallEvent (every provider callback as received),
the tenant's dispositions, the compliance rules, the dialer's switch and its per-campaign status.

A call's status changes only through apps.calls.transitions (compare-and-swap, one CallEvent each);
the database keeps one live call per lead (call_one_live_per_lead).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from apps.calls.choices import LIVE, AnsweredBy, CallOutcome, CallStatus, EventKind
from apps.core.models import TenantOwnedModel


class Call(TenantOwnedModel):
    """One outbound call to a lead: who, from which number, how it went, what it cost, what was said."""

    # A claim writes a thousand calls in one statement (apps.calls.dialer.claim), and every index and
    # foreign-key check of this table is paid per call: the single-column indexes Django adds for
    # foreign keys are dropped (the composite indexes below lead with the same columns), and the tenant
    # and campaign are not checked by the database (a call is only ever written from its lead's own
    # tenant and campaign; their deletion rules are Django's, as ever). The lead's key is checked.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False,
                               db_constraint=False)  # fmt: skip
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="calls", db_index=False)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="calls", db_index=False, db_constraint=False)  # fmt: skip
    agent = models.ForeignKey("agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls",
                              db_index=False,
                              help_text="The AI agent that talked, or the human agent who took the call.")  # fmt: skip
    provider = models.CharField(max_length=20, help_text="simulator or twilio")
    direction = models.CharField(max_length=10, default="outbound")
    status = models.CharField(max_length=12, choices=CallStatus.choices, default=CallStatus.QUEUED)
    outcome = models.CharField(max_length=12, choices=CallOutcome.choices, blank=True)
    answered_by = models.CharField(max_length=24, choices=AnsweredBy.choices, blank=True)
    disposition = models.CharField(max_length=32, blank=True, help_text="A code of the tenant's dispositions.")
    attempt = models.PositiveSmallIntegerField(default=1, help_text="The lead's attempt number this call was.")
    pacing_mode = models.CharField(max_length=12, blank=True)

    call_sid = models.CharField(max_length=64, blank=True)
    conference_sid = models.CharField(max_length=64, blank=True)
    from_number = models.CharField(max_length=16, blank=True)
    to_number = models.CharField(max_length=16)
    lead_timezone = models.CharField(max_length=64, blank=True, help_text="The lead's zone when the call was placed.")

    initiated_at = models.DateTimeField(null=True, blank=True)
    ringing_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds, as the provider bills.")
    talk_time = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds from answer to end.")

    recording_url = models.URLField(max_length=500, blank=True)
    recording_sid = models.CharField(max_length=64, blank=True)
    recording_duration = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=5, null=True, blank=True)
    cost_unit = models.CharField(max_length=3, blank=True)

    transcript = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)
    analysis = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    callback_at = models.DateTimeField(null=True, blank=True, help_text="When the person asked to be called back.")
    sequence = models.PositiveIntegerField(default=0, help_text="The provider's last SequenceNumber applied.")
    finalized_at = models.DateTimeField(null=True, blank=True, help_text="When the lead took this call's result.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status__in=sorted(LIVE)), name="call_one_live_per_lead"
            ),
            models.UniqueConstraint(
                fields=["provider", "call_sid"], condition=~Q(call_sid=""), name="call_unique_provider_sid"
            ),
            models.CheckConstraint(condition=Q(status__in=CallStatus.values), name="call_status_valid"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="call_tenant_time"),
            models.Index(fields=["campaign", "-created_at"], name="call_campaign_time"),
            models.Index(fields=["agent", "-created_at"], name="call_agent_time"),
            models.Index(fields=["lead", "-created_at"], name="call_lead_time"),
            models.Index(fields=["tenant", "to_number", "-created_at"], name="call_number_time"),
            # In flight: what capacity counts and what the reaper sweeps.
            models.Index(
                fields=["campaign", "status"], name="call_live_campaign", condition=Q(status__in=sorted(LIVE))
            ),
            models.Index(fields=["status", "updated_at"], name="call_live_age", condition=Q(status__in=sorted(LIVE))),
            models.Index(
                fields=["ended_at"],
                name="call_unfinalized",
                condition=Q(finalized_at__isnull=True) & ~Q(status__in=sorted(LIVE)),
            ),
        ]

    def __str__(self) -> str:
        return f"Call {self.pk} to {self.to_number} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE


class CallEvent(TenantOwnedModel):
    """Every provider callback as received, and every state change the system made: the audit trail,
    and the idempotency key of the callbacks (a duplicate adds nothing)."""

    # Stored at the rate callbacks arrive (apps.calls.ingest): the call's key is checked, the tenant's is
    # the call's; the unique key leads with the call, so no index of its own.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False,
                               db_constraint=False)  # fmt: skip
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    provider_status = models.CharField(max_length=32, blank=True)
    sequence_number = models.PositiveIntegerField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=120)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    applied = models.BooleanField(default=False, help_text="Whether it changed the call.")
    processed_at = models.DateTimeField(null=True, blank=True, help_text="When the drain applied it (callbacks).")
    note = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["call", "dedupe_key"], name="callevent_unique_key")]
        indexes = [
            models.Index(fields=["created_at"], name="callevent_pending", condition=Q(processed_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.provider_status or self.to_status} on {self.call_id}"


class CallDisposition(TenantOwnedModel):
    """A tenant's vocabulary for how a call went, with the flags retries and reports read (never the
    names). Seeded with the standard set; tenants add their own."""

    code = models.SlugField(max_length=32)
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    human_answered = models.BooleanField(default=False)
    sale = models.BooleanField(default=False)
    dnc = models.BooleanField(default=False, help_text="Puts the number on the do-not-call list.")
    contact = models.BooleanField(default=False, help_text="A conversation with the right person.")
    unworkable = models.BooleanField(default=False, help_text="Wrong or dead number: never call again.")
    callback = models.BooleanField(default=False, help_text="Call back at the time given.")
    completed = models.BooleanField(default=False, help_text="Nothing more to do with this lead.")
    answering_machine = models.BooleanField(default=False)
    retry = models.BooleanField(default=False, help_text="Try again under the retry policy.")
    is_system = models.BooleanField(default=False, help_text="Set by the dialer from the call's outcome.")
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="calldisposition_unique_code")]

    def __str__(self) -> str:
        return self.label


class ComplianceRule(models.Model):
    """A calling rule of a country or one of its states: the hours a person may be called in their own
    time (on a given weekday, or every day), how many calls a person may get in 24 hours, and whether
    recording needs everyone's consent. Platform rules (no tenant) are seeded; a tenant adds its own,
    and the strictest of all that apply wins."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", help_text="Empty: a platform rule for every tenant.")  # fmt: skip
    country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2, e.g. US.")
    subdivision = models.CharField(max_length=3, blank=True, help_text="State or province code, e.g. FL; empty: all.")
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(6)],
                                               help_text="0 = Monday ... 6 = Sunday; empty: every day.")  # fmt: skip
    start_local = models.TimeField(null=True, blank=True, help_text="Earliest local time (empty: no hour limit).")
    end_local = models.TimeField(null=True, blank=True, help_text="Calls must start before this local time.")
    no_calls = models.BooleanField(default=False, help_text="No calls at all (on the weekday given, or ever).")
    max_calls_per_24h = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    all_party_consent = models.BooleanField(default=False, help_text="Recording needs every party's consent.")
    source = models.CharField(max_length=255, blank=True, help_text="The law or policy this comes from.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "subdivision", "weekday"]

    def __str__(self) -> str:
        where = f"{self.country}-{self.subdivision}" if self.subdivision else self.country
        return f"{where}: {self.start_local}-{self.end_local}"


class DialerSwitch(models.Model):
    """The platform's dialing switch (one row): off stops every campaign within one tick."""

    dialing_enabled = models.BooleanField(default=True)
    reason = models.CharField(max_length=255, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")  # fmt: skip
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "dialer switch"
        verbose_name_plural = "dialer switch"

    def __str__(self) -> str:
        return "Dialing on" if self.dialing_enabled else "Dialing stopped"


class DialerStatus(TenantOwnedModel):
    """Why a campaign (or an AI agent's own leads) is or is not dialing right now, as the last tick
    saw it: what the dialer status page and endpoint show."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="dialer_status")  # fmt: skip
    agent = models.OneToOneField("agents.Agent", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="dialer_status")  # fmt: skip
    dialing = models.BooleanField(default=False)
    reason = models.CharField(max_length=32, blank=True)
    message = models.CharField(max_length=500, blank=True)
    due_leads = models.PositiveIntegerField(default=0)
    in_flight = models.PositiveIntegerField(default=0)
    capacity = models.PositiveIntegerField(default=0)
    claimed = models.PositiveIntegerField(default=0, help_text="Calls started by the last tick.")
    calls_today = models.PositiveIntegerField(default=0)
    next_opening = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "dialer statuses"
        constraints = [
            models.CheckConstraint(
                condition=Q(campaign__isnull=False) | Q(agent__isnull=False), name="dialerstatus_has_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{'dialing' if self.dialing else self.reason} ({self.campaign_id or self.agent_id})"

"""Lead, its timeline (LeadActivity), the do-not-call list and import jobs."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Replace

from apps.core.models import TenantOwnedModel, TenantQuerySet
from apps.core.validators import validate_time_zone
from apps.leads.choices import (
    ActivityType,
    Disposition,
    InterestLevel,
    LeadStage,
    LeadStatus,
    TimezoneSource,
)

# Leads in a call (claimed, or ringing) are left out of the search index: a claim moves a thousand
# leads to "queued" in one statement, and each one's new index entry was a third of its cost (make
# bench, dialer claims). They are few (the calls in flight) and found through their status, the
# document checked row by row; the index takes them back when their call ends.
IN_CALL = ("calling", "queued")


def search_matches(query: SearchQuery, prefix: str = "") -> Q:
    """The condition for leads (or, with prefix "lead__", rows of a lead) whose search document
    matches `query`, written so that PostgreSQL takes the index for the leads it holds (the first
    arm implies its predicate) and the status index for the ones in a call."""
    document, status = f"{prefix}search_document", f"{prefix}status__in"
    return (Q(**{document: query}) & ~Q(**{status: IN_CALL})) | Q(**{document: query, status: IN_CALL})


class LeadQuerySet(TenantQuerySet):
    def alive(self):
        """Not soft-deleted: what every API and the dialer see."""
        return self.filter(deleted_at__isnull=True)

    def matching(self, query: SearchQuery):
        """Leads whose search document matches `query` (see search_matches)."""
        return self.filter(search_matches(query))

    def with_phones(self, phones: list[str]):
        """Leads with any of these E.164 numbers. There is no separate phone index (it would cost
        every import a random-position insert); the search index holds each number's digits as a
        term, so the lookup goes through it and is then checked exactly. Pass at most ~1,000."""
        terms = " | ".join(p.lstrip("+") for p in phones if p and p.lstrip("+").isdigit())
        if not terms:
            return self.none()
        return self.matching(SearchQuery(terms, search_type="raw", config="simple")).filter(phone_e164__in=phones)


class Lead(TenantOwnedModel):
    """A person to call. Spec 000's contract (phone_e164, first_name, custom_fields, schedule_at,
    status, disposition, attempts_count) plus the richer fields of specs 001-004.

    Three lifecycle fields, never merged (DESIGN.md): `status` is the dialer's, `stage` the sales
    pipeline's, `disposition` the last call's outcome.
    """

    # Foreign keys without their own single-column indexes: the composite indexes below (all led by
    # tenant) serve every query we make, and each index costs every insert of an import.
    # At the database, the links to a campaign and to agents are composite foreign keys, (tenant_id,
    # campaign_id) -> campaign (tenant_id, id) and the like (migration leads 0006): a lead can only
    # point at its own tenant's campaign or agents, and an imported lead costs one check instead of
    # two (its tenant, known to exist through the campaign's own foreign key). Django's on_delete
    # rules apply as ever.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False,
                               db_constraint=False)  # fmt: skip
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="leads", db_index=False, db_constraint=False)  # fmt: skip
    agent = models.ForeignKey(
        "agents.Agent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        db_index=False,
        db_constraint=False,
        help_text="The AI agent that calls this lead (spec 000's agent_id).",
    )
    assigned_to = models.ForeignKey(
        "agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_leads",
        db_index=False, db_constraint=False, help_text="The human agent who owns the lead.",
    )  # fmt: skip

    # Who
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    niche = models.CharField(max_length=100, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True,
                                         validators=[MinValueValidator(0)])  # fmt: skip
    company_size = models.CharField(max_length=50, blank=True)
    preferred_language = models.CharField(max_length=35, blank=True)

    # How to reach them
    phone_e164 = models.CharField(max_length=16, help_text="The number we dial, E.164.")
    phone_raw = models.CharField(max_length=64, blank=True, help_text="The number as it was given.")
    phone_national = models.CharField(max_length=17, blank=True, help_text="National significant number (search).")
    phone_region = models.CharField(max_length=2, blank=True)
    phone_type = models.CharField(max_length=24, blank=True)
    alternate_phone = models.CharField(max_length=16, blank=True)

    # Where
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    timezone_source = models.CharField(max_length=10, choices=TimezoneSource.choices, default=TimezoneSource.UNKNOWN)
    subdivision = models.CharField(
        max_length=3, blank=True,
        help_text="State or province code (US FL, CA ON) from the state given, else the number's area code: "
        "which state calling rules apply.",
    )  # fmt: skip

    # Where it came from and what we know
    source = models.CharField(max_length=100, blank=True)
    source_details = models.TextField(blank=True)
    priority = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)],
                                                help_text="1 (highest) to 5.")  # fmt: skip
    interest_level = models.CharField(max_length=10, choices=InterestLevel.choices, blank=True)
    lead_score = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    score_breakdown = models.JSONField(default=dict, blank=True)
    is_hot_lead = models.BooleanField(default=False)
    pain_points = ArrayField(models.TextField(), default=list, blank=True)
    requirements = ArrayField(models.TextField(), default=list, blank=True)
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)

    # Lifecycle
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    sub_status = models.CharField(max_length=50, blank=True)
    stage = models.CharField(max_length=12, choices=LeadStage.choices, default=LeadStage.NEW)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    do_not_call = models.BooleanField(default=False)

    # Consent: an AI-voice campaign may require the person's recorded prior express consent.
    consent_type = models.CharField(max_length=32, blank=True, help_text="e.g. written, verbal, web_form")
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=255, blank=True, help_text="Where it was given (a URL, a form).")

    # Calling
    next_call_at = models.DateTimeField(null=True, blank=True, help_text="When the dialer may call (schedule_at).")
    best_time_to_call = models.TimeField(null=True, blank=True)
    attempts_count = models.PositiveIntegerField(default=0)
    last_call_at = models.DateTimeField(null=True, blank=True)

    # Outcome
    conversion_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                           validators=[MinValueValidator(0)])  # fmt: skip
    converted_at = models.DateTimeField(null=True, blank=True)

    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Soft delete: hidden everywhere, kept here.")
    # No index of its own (the base model's): every list is a tenant's, read through lead_tenant_created,
    # and each index of this table costs every imported lead and every claimed one.
    created_at = models.DateTimeField(auto_now_add=True)

    # Full-text search over names, email, company and the number's digits (plain tsvector + GIN: the
    # embedded PostgreSQL has no pg_trgm). Terms match as prefixes, so "415 555" finds +14155552671.
    search_document = models.GeneratedField(
        expression=SearchVector(
            "first_name", "last_name", "email", "company_name", "phone_national",
            Replace("phone_e164", models.Value("+"), models.Value("")), config="simple",
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )  # fmt: skip

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live lead per phone per campaign; per agent for agent-only leads; per tenant otherwise.
            models.UniqueConstraint(
                fields=["tenant", "campaign", "phone_e164"], name="lead_unique_phone_per_campaign",
                condition=Q(deleted_at__isnull=True, campaign__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["tenant", "agent", "phone_e164"], name="lead_unique_phone_per_agent",
                condition=Q(deleted_at__isnull=True, campaign__isnull=True, agent__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["tenant", "phone_e164"], name="lead_unique_phone_unassigned",
                condition=Q(deleted_at__isnull=True, campaign__isnull=True, agent__isnull=True),
            ),
            models.CheckConstraint(condition=Q(status__in=LeadStatus.values), name="lead_status_valid"),
            models.CheckConstraint(condition=Q(stage__in=LeadStage.values), name="lead_stage_valid"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="lead_priority_1_5"),
            models.CheckConstraint(condition=Q(lead_score__lte=100), name="lead_score_0_100"),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="lead_tenant_created",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["tenant", "status", "-created_at"], name="lead_tenant_status",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["tenant", "campaign", "status"], name="lead_tenant_campaign",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["tenant", "agent"], name="lead_tenant_agent",
                         condition=Q(deleted_at__isnull=True, agent__isnull=False)),
            models.Index(fields=["tenant", "assigned_to"], name="lead_tenant_assignee",
                         condition=Q(deleted_at__isnull=True, assigned_to__isnull=False)),
            # The dialer's queues: a campaign's (or an AI agent's own) due leads, best first. Led by the
            # campaign, so paused and finished campaigns' leads are never walked; only waiting leads
            # are in them, so a claimed lead leaves the queue.
            models.Index(fields=["campaign", "priority", "next_call_at"], name="lead_queue_campaign",
                         condition=Q(deleted_at__isnull=True, do_not_call=False, status__in=["new", "scheduled"],
                                     campaign__isnull=False)),
            models.Index(fields=["agent", "priority", "next_call_at"], name="lead_queue_agent",
                         condition=Q(deleted_at__isnull=True, do_not_call=False, status__in=["new", "scheduled"],
                                     campaign__isnull=True, agent__isnull=False)),
            # New entries wait in a pending list that apps.leads.search_index merges after imports and
            # every minute (merging in the writers was half the database cost of an imported lead).
            GinIndex(fields=["search_document"], name="lead_search", fastupdate=True, gin_pending_list_limit=65536,
                     condition=~Q(status__in=IN_CALL)),
            GinIndex(fields=["tags"], name="lead_tags", condition=~Q(tags=[])),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.full_name or 'Lead'} ({self.phone_e164})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class LeadActivity(TenantOwnedModel):
    """The lead's timeline and audit trail: what happened, when, and who did it.

    An append-only log, written once for every lead an import brings in, so each column it carries
    costs every imported row. Its links are plain columns at the database level (no foreign-key
    constraints: each one is a lookup and a row lock per row written, ~5 microseconds, about a third
    of an imported lead's database time) and only two indexes serve its reads: a lead's timeline and
    a tenant's recent activity. Django still applies on_delete (a deleted lead takes its timeline
    with it, a deleted user leaves entries with no actor).
    """

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_constraint=False,
                               db_index=False)  # fmt: skip
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities", db_constraint=False,
                             db_index=False)  # fmt: skip
    activity_type = models.CharField(max_length=32, default=ActivityType.CUSTOM)
    description = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", db_constraint=False, db_index=False)  # fmt: skip
    actor_label = models.CharField(max_length=100, blank=True, help_text="api-key:lv_…, import, system…")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "lead activities"
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="leadactivity_lead_time"),
            models.Index(fields=["tenant", "-created_at"], name="leadactivity_tenant_time"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_type} on {self.lead_id}"


class DncSource(models.TextChoices):
    MANUAL = "manual", "Entered by staff"
    API = "api", "API"
    IMPORT = "import", "File upload"
    LEAD_REQUEST = "lead_request", "The person asked"
    CALL = "call", "During a call"


class DoNotCallEntry(TenantOwnedModel):
    """A number the tenant must never call. Checked on create, on import and before every dial."""

    phone_e164 = models.CharField(max_length=16)
    reason = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=20, choices=DncSource.choices, default=DncSource.MANUAL)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "do-not-call entry"
        verbose_name_plural = "do-not-call entries"
        constraints = [models.UniqueConstraint(fields=["tenant", "phone_e164"], name="dnc_unique_phone")]

    def __str__(self) -> str:
        return self.phone_e164


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ImportMode(models.TextChoices):
    PARTIAL = "partial", "Partial: good rows in, bad rows reported"
    ATOMIC = "atomic", "Atomic: all rows or none"


class ImportJob(TenantOwnedModel):
    """A lead import: the file, how to read it, and (as it runs) its progress and results."""

    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    file_format = models.CharField(max_length=10, blank=True)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")  # fmt: skip
    agent = models.ForeignKey("agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    field_mapping = models.JSONField(default=dict, blank=True)
    default_values = models.JSONField(default=dict, blank=True)
    default_region = models.CharField(max_length=2, blank=True)
    mode = models.CharField(max_length=10, choices=ImportMode.choices, default=ImportMode.PARTIAL)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_processed = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")  # fmt: skip
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.original_name or self.pk} ({self.status})"

"""django-import-export resource for the admin's import screen (with its preview) and export.

One engine, two doors: rows go through the same normalisation (apps.leads.normalize), the same
duplicate rule (one live lead per phone per campaign / agent / unassigned pool) and the same
do-not-call scrub as the API's import engine; only the writing differs (row by row here, so the
preview can show each row, COPY batches in the engine).
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources

from apps.core.actors import Actor
from apps.leads.choices import ActivityType
from apps.leads.models import DoNotCallEntry, Lead
from apps.leads.normalize import LeadContext, normalize_lead
from apps.leads.services import activity_add

EXPORT_FIELDS = ("id", "first_name", "last_name", "phone_e164", "email", "company_name", "job_title", "industry",
                 "city", "state", "country", "postal_code", "timezone", "source", "priority", "interest_level",
                 "lead_score", "status", "stage", "disposition", "do_not_call", "next_call_at", "attempts_count",
                 "last_call_at", "tags", "notes", "custom_fields", "created_at")  # fmt: skip


class LeadResource(resources.ModelResource):
    campaign = fields.Field(attribute="campaign__name", column_name="campaign", readonly=True)

    class Meta:
        model = Lead
        fields = (*EXPORT_FIELDS, "campaign")
        export_order = (*EXPORT_FIELDS, "campaign")
        skip_unchanged = False
        report_skipped = True
        use_transactions = True

    def __init__(self, tenant=None, campaign=None, region: str = "", actor: Actor | None = None, **kwargs):
        super().__init__(**kwargs)
        self.tenant, self.campaign = tenant, campaign
        self.context = LeadContext(
            region=(region or getattr(campaign, "default_country", "") or getattr(tenant, "default_country", "")),
            default_timezone=getattr(tenant, "default_timezone", "UTC"),
        )
        self.actor = actor or Actor(label="admin-import")
        self._seen: set[str] = set()
        self._blocked: set[str] | None = None
        self._existing: set[str] | None = None

    # Every row is a new lead: duplicates are skipped, never merged.
    def get_or_init_instance(self, instance_loader, row):
        return self.init_instance(row), True

    def get_import_id_fields(self):
        return []

    def before_import(self, dataset, **kwargs):
        if self.tenant is None:
            raise ValidationError("Choose the tenant's campaign (or sign in as a tenant user) to import leads.")
        live = Lead.objects.for_tenant(self.tenant).alive()
        live = live.filter(campaign=self.campaign) if self.campaign else live.filter(campaign__isnull=True,
                                                                                   agent__isnull=True)  # fmt: skip
        self._existing = set(live.values_list("phone_e164", flat=True))
        self._blocked = set(DoNotCallEntry.objects.for_tenant(self.tenant).values_list("phone_e164", flat=True))

    def import_instance(self, instance, row, **kwargs):
        result = normalize_lead(dict(row), self.context)
        if result.errors:
            raise ValidationError({problem["field"]: problem["error"] for problem in result.errors})
        for name, value in result.values.items():
            setattr(instance, name, value)
        instance.tenant, instance.campaign = self.tenant, self.campaign

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False  # reported as invalid, not skipped
        phone = instance.phone_e164
        if phone in self._seen or phone in self._existing or phone in self._blocked or instance.do_not_call:
            return True
        self._seen.add(phone)
        return False

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        if instance.pk and not kwargs.get("dry_run"):
            activity_add(lead=instance, actor=self.actor, activity_type=ActivityType.IMPORTED,
                         description="Imported in the admin")  # fmt: skip

"""Back office for leads: the lead book with its timeline, import (with preview) and export, the
do-not-call list and import jobs. Tenant staff see their tenant only (TenantScopedAdmin)."""

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.utils import timezone
from django.utils.functional import cached_property
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ImportForm

from apps.campaigns.models import Campaign
from apps.core.actors import Actor
from apps.core.admin import ReadOnlyTenantInline, TenantScopedAdmin
from apps.core.exceptions import ApplicationError
from apps.core.pagination import count_rows
from apps.leads import services
from apps.leads.models import DoNotCallEntry, ImportJob, Lead, LeadActivity
from apps.leads.resources import LeadResource
from apps.tenants.choices import OPERATOR_ROLES


class CappedCountPaginator(Paginator):
    """The changelist's page count without an exact COUNT over a million rows."""

    @cached_property
    def count(self):
        total, _ = count_rows(self.object_list, 10_000)
        return total


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Deleted")]

    def choices(self, changelist):
        # "Live" is the default instead of "All".
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "no") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        return queryset.filter(deleted_at__isnull=(self.value() or "no") == "no")


class LeadActivityInline(ReadOnlyTenantInline):
    model = LeadActivity
    fields = ["created_at", "activity_type", "description", "actor_label"]
    readonly_fields = fields
    verbose_name_plural = "Timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at")


class LeadImportForm(ImportForm):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False,
                                      help_text="Leave empty for the tenant's unassigned pool.")  # fmt: skip
    region = forms.CharField(required=False, max_length=2, help_text="Region for national numbers, e.g. US.")


class LeadConfirmImportForm(ConfirmImportForm):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False, widget=forms.HiddenInput)
    region = forms.CharField(required=False, widget=forms.HiddenInput)


@admin.register(Lead)
class LeadAdmin(ImportExportMixin, TenantScopedAdmin):
    resource_classes = [LeadResource]
    import_form_class = LeadImportForm
    confirm_form_class = LeadConfirmImportForm
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_display = ["__str__", "status", "stage", "disposition", "campaign", "priority", "lead_score",
                    "next_call_at", "attempts_count", "created_at"]  # fmt: skip
    list_filter = [DeletedFilter, "status", "stage", "disposition", "is_hot_lead", "do_not_call", "source",
                   "timezone_source"]  # fmt: skip
    search_fields = ["first_name", "last_name", "email", "company_name", "phone_e164"]
    list_select_related = ["campaign"]
    readonly_fields = ["phone_raw", "phone_region", "phone_type", "timezone_source", "attempts_count", "last_call_at",
                       "converted_at", "deleted_at", "created_at", "updated_at"]  # fmt: skip
    exclude = ["search_document", "phone_national"]
    raw_id_fields = ["assigned_to", "agent"]
    inlines = [LeadActivityInline]
    actions = ["schedule_now", "mark_dnc", "restore"]
    date_hierarchy = None

    def get_queryset(self, request):
        return super().get_queryset(request).defer("search_document")

    # Import: the tenant's campaigns only; the resource gets tenant, campaign and region.
    def create_import_form(self, request):
        form = super().create_import_form(request)
        form.fields["campaign"].queryset = Campaign.objects.for_tenant(request.user.tenant_id)
        return form

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["campaign"].queryset = Campaign.objects.for_tenant(request.user.tenant_id)
        return form

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            campaign = import_form.cleaned_data.get("campaign")
            initial.update(campaign=campaign.pk if campaign else None, region=import_form.cleaned_data.get("region"))
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        cleaned = getattr(form, "cleaned_data", {}) or {}
        return {"tenant": getattr(request.user, "tenant", None), "campaign": cleaned.get("campaign"),
                "region": cleaned.get("region") or "", "actor": Actor.of(request.user)}  # fmt: skip

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"tenant": getattr(request.user, "tenant", None)}

    def has_import_permission(self, request):
        return bool(request.user.tenant_id) and self._allowed(request, OPERATOR_ROLES)

    def has_export_permission(self, request):
        return self._allowed(request, OPERATOR_ROLES)

    # Actions ------------------------------------------------------------------------------------
    @admin.action(description="Schedule a call now")
    def schedule_now(self, request, queryset):
        actor = Actor.of(request.user)
        self.apply_each(request, queryset.filter(deleted_at__isnull=True),
                        lambda lead: services.lead_schedule(lead=lead, actor=actor, at=timezone.now()),
                        "Scheduled {count} lead(s) for now.")  # fmt: skip

    @admin.action(description="Add their numbers to the do-not-call list")
    def mark_dnc(self, request, queryset):
        phones = list(queryset.values_list("phone_e164", flat=True))
        tenant = request.user.tenant or queryset.first().tenant
        result = services.dnc_bulk_add(tenant=tenant, actor=Actor.of(request.user), phones=phones,
                                       reason="Marked in the admin")  # fmt: skip
        self.message_user(request, f"{result['leads_marked']} lead(s) marked do-not-call.", messages.SUCCESS)

    @admin.action(description="Restore deleted leads")
    def restore(self, request, queryset):
        restored = 0
        for lead in queryset.filter(deleted_at__isnull=False):
            try:
                services.lead_restore(lead=lead, actor=Actor.of(request.user))
                restored += 1
            except (ApplicationError, IntegrityError) as exc:
                self.message_user(request, f"{lead}: {getattr(exc, 'detail', exc)}", messages.WARNING)
        self.message_user(request, f"Restored {restored} lead(s).", messages.SUCCESS)


@admin.register(DoNotCallEntry)
class DoNotCallEntryAdmin(TenantScopedAdmin):
    list_display = ["phone_e164", "reason", "source", "added_by", "created_at"]
    list_filter = ["source"]
    search_fields = ["phone_e164", "reason"]
    readonly_fields = ["source", "added_by", "created_at"]
    fields = ["phone_e164", "reason", "source", "added_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        tenant = request.user.tenant if not request.user.is_superuser else obj.tenant
        entry, _ = services.dnc_add(tenant=tenant, actor=Actor.of(request.user), phone=obj.phone_e164,
                                    reason=obj.reason)  # fmt: skip
        obj.pk = entry.pk


@admin.register(ImportJob)
class ImportJobAdmin(TenantScopedAdmin):
    list_display = ["original_name", "status", "mode", "rows_processed", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "mode"]
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "tenant"]

    def has_add_permission(self, request):
        return False

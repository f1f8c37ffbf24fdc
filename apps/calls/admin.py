"""Back office for calls: the call log (read-only, with its events and a hang-up action), the tenant's
dispositions, the calling rules (the platform's shown read-only to tenant staff), why each queue is
or is not dialing, and the platform's dialing switch (platform staff only). Tenant staff see their
tenant only (TenantScopedAdmin); calls and statuses change only through the dialer and the services."""

from django import forms
from django.contrib import admin
from django.db.models import Q

from apps.calls import outcomes, services
from apps.calls.models import Call, CallDisposition, CallEvent, ComplianceRule, DialerStatus, DialerSwitch
from apps.core.actors import Actor
from apps.core.admin import ReadOnlyAdminMixin, ReadOnlyTenantInline, TenantScopedAdmin
from apps.core.validators import validate_region
from apps.leads.admin import CappedCountPaginator
from apps.tenants.choices import OPERATOR_ROLES


class CallEventInline(ReadOnlyTenantInline):
    model = CallEvent
    fields = ["created_at", "kind", "provider_status", "from_status", "to_status", "applied", "note"]
    readonly_fields = fields
    verbose_name_plural = "Events (every provider callback and every change, oldest first)"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("created_at", "id")


@admin.register(Call)
class CallAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """The call log. Nothing here edits a call: its status moves only through the dialer and the
    provider's callbacks; people hang up (the action) or set a disposition (the API)."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    list_display = ["created_at", "to_number", "lead", "campaign", "agent", "status", "outcome", "disposition",
                    "answered_by", "duration", "provider"]  # fmt: skip
    list_filter = ["status", "outcome", "disposition", "answered_by", "provider", "pacing_mode"]
    search_fields = ["to_number", "from_number", "call_sid", "conference_sid"]
    list_select_related = ["lead", "campaign", "agent"]
    date_hierarchy = "created_at"
    inlines = [CallEventInline]
    actions = ["hang_up"]
    fieldsets = [
        (None, {"fields": ["tenant", "lead", "campaign", "agent", "status", "outcome", "disposition", "answered_by",
                           "attempt", "pacing_mode", "notes", "callback_at"]}),
        ("Provider", {"fields": ["provider", "direction", "call_sid", "conference_sid", "from_number", "to_number",
                                 "lead_timezone", "sequence", "error_code", "error_message"]}),
        ("Timing and cost", {"fields": ["created_at", "initiated_at", "ringing_at", "answered_at", "ended_at",
                                        "finalized_at", "duration", "talk_time", "cost", "cost_unit"]}),
        ("Recording and conversation", {"fields": ["recording_url", "recording_sid", "recording_duration", "summary",
                                                   "transcript", "analysis", "metadata"]}),
    ]  # fmt: skip

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return self.fieldsets
        first = dict(self.fieldsets[0][1], fields=[f for f in self.fieldsets[0][1]["fields"] if f != "tenant"])
        return [(None, first), *self.fieldsets[1:]]

    def get_readonly_fields(self, request, obj=None):
        return [field for _, options in self.fieldsets for field in options["fields"]]

    def has_hangup_permission(self, request) -> bool:
        return self._allowed(request, OPERATOR_ROLES)

    @admin.action(description="Hang up (live calls; a call not placed yet is canceled)", permissions=["hangup"])
    def hang_up(self, request, queryset):
        actor = Actor.of(request.user)
        self.apply_each(request, queryset, lambda call: services.call_hangup(call=call, actor=actor),
                        "Hang-up asked for {count} call(s).")  # fmt: skip


class CallDispositionForm(forms.ModelForm):
    """The code is unique in the tenant; the tenant is not a field of the form for tenant staff, so
    the admin checks it here (else the database would refuse the save)."""

    tenant_id = None  # set by CallDispositionAdmin.get_form

    class Meta:
        model = CallDisposition
        fields = ["tenant", "code", "label", "description", "human_answered", "contact", "sale", "callback", "retry",
                  "completed", "dnc", "unworkable", "answering_machine", "is_active", "sort_order"]  # fmt: skip

    def clean_code(self):
        code = self.cleaned_data["code"]
        tenant_id = self.tenant_id or getattr(self.cleaned_data.get("tenant"), "pk", None) or self.instance.tenant_id
        if self.instance.pk and self.instance.is_system and code != self.instance.code:
            raise forms.ValidationError("This disposition is set by the dialer: its code cannot change.")
        taken = CallDisposition.objects.filter(tenant_id=tenant_id, code=code).exclude(pk=self.instance.pk)
        if tenant_id and taken.exists():
            raise forms.ValidationError(f"The disposition '{code}' exists already.")
        return code


@admin.register(CallDisposition)
class CallDispositionAdmin(TenantScopedAdmin):
    form = CallDispositionForm
    list_display = ["code", "label", "human_answered", "contact", "sale", "callback", "retry", "completed", "dnc",
                    "unworkable", "answering_machine", "is_system", "is_active", "sort_order"]  # fmt: skip
    list_filter = ["is_system", "is_active"]
    search_fields = ["code", "label"]
    ordering = ["sort_order", "code"]
    readonly_fields = ["is_system"]

    def changelist_view(self, request, extra_context=None):
        if request.user.tenant_id:
            outcomes.dispositions(request.user.tenant_id)  # the standard set, the first time
        return super().changelist_view(request, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.tenant_id = None if request.user.is_superuser else request.user.tenant_id
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_system:
            return ["code", "is_system", "is_active"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.is_system or Call.objects.filter(tenant_id=obj.tenant_id,
                                                                     disposition=obj.code).exists()):  # fmt: skip
            return False  # the dialer's own, or calls carry it: deactivate it instead
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, through the checks above
        return actions


class ComplianceRuleForm(forms.ModelForm):
    class Meta:
        model = ComplianceRule
        fields = ["tenant", "country", "subdivision", "weekday", "start_local", "end_local", "no_calls",
                  "max_calls_per_24h", "all_party_consent", "source", "is_active"]  # fmt: skip

    def clean_country(self):
        country = (self.cleaned_data.get("country") or "").strip().upper()
        validate_region(country)
        return country

    def clean_subdivision(self):
        code = (self.cleaned_data.get("subdivision") or "").strip().upper()
        if code and not code.isalnum():
            raise forms.ValidationError("A state or province code, e.g. FL or ON.")
        return code

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_local"), cleaned.get("end_local")
        if start is not None and end is not None and start >= end:
            self.add_error("end_local", "The end must be after the start.")
        return cleaned


class ScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("platform", "Platform (every tenant)"), ("tenant", "Tenant's own")]

    def queryset(self, request, queryset):
        if self.value() in ("platform", "tenant"):
            return queryset.filter(tenant__isnull=self.value() == "platform")
        return queryset


@admin.register(ComplianceRule)
class ComplianceRuleAdmin(TenantScopedAdmin):
    """Calling rules. Tenant staff see the platform's rules (read-only) beside their own, which they
    add and change; the strictest rule that applies wins. Platform staff manage them all."""

    form = ComplianceRuleForm
    list_display = ["__str__", "scope", "country", "subdivision", "weekday", "start_local", "end_local", "no_calls",
                    "max_calls_per_24h", "all_party_consent", "is_active"]  # fmt: skip
    list_filter = [ScopeFilter, "country", "is_active", "all_party_consent", "no_calls"]
    search_fields = ["country", "subdivision", "source"]
    ordering = ["country", "subdivision", "weekday"]

    def get_queryset(self, request):
        queryset = ComplianceRule.objects.select_related("tenant")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(Q(tenant_id=request.user.tenant_id) | Q(tenant__isnull=True))

    @admin.display(description="scope")
    def scope(self, rule: ComplianceRule) -> str:
        return "platform" if rule.tenant_id is None else "tenant"

    def _own(self, request, obj) -> bool:
        return obj is None or request.user.is_superuser or obj.tenant_id == request.user.tenant_id

    def has_change_permission(self, request, obj=None):
        return self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._own(request, obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("delete_selected", None)  # a selection may hold platform rules
        return actions


@admin.register(DialerStatus)
class DialerStatusAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    """Why is this campaign dialing or not: the dialer's last word on each queue."""

    list_display = ["queue", "dialing", "reason", "message", "due_leads", "in_flight", "capacity", "claimed",
                    "calls_today", "next_opening", "checked_at"]  # fmt: skip
    list_filter = ["dialing", "reason"]
    search_fields = ["campaign__name", "agent__name", "message"]
    list_select_related = ["campaign", "agent"]
    ordering = ["campaign__name", "agent__name"]
    view_roles = OPERATOR_ROLES

    @admin.display(description="queue")
    def queue(self, status: DialerStatus) -> str:
        return f"Campaign: {status.campaign}" if status.campaign_id else f"AI agent: {status.agent}"

    def changelist_view(self, request, extra_context=None):
        switch = DialerSwitch.objects.first()
        title = "Why each campaign is or is not dialing"
        if switch is not None and not switch.dialing_enabled:
            title += f" (the platform's dialing is stopped: {switch.reason or 'no reason given'})"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in DialerStatus._meta.fields]


@admin.register(DialerSwitch)
class DialerSwitchAdmin(admin.ModelAdmin):
    """The platform's one switch: off stops every campaign of every tenant within a tick."""

    list_display = ["__str__", "dialing_enabled", "reason", "changed_by", "changed_at"]
    fields = ["dialing_enabled", "reason", "changed_by", "changed_at"]
    readonly_fields = ["changed_by", "changed_at"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request) and not DialerSwitch.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        switch = services.dialing_set(enabled=obj.dialing_enabled, actor=Actor.of(request.user), reason=obj.reason)
        obj.pk = switch.pk

"""Shapes of the leads API. Output follows spec 000's contract for the fields it names (phone_e164,
schedule_at, attempts_count, agent_id...) with the richer fields of specs 001-004 beside them.
Input goes through apps.leads.normalize, the same rules as imports."""

from typing import Any

from rest_framework import serializers

from apps.core.serializers import iso
from apps.leads.choices import Disposition, LeadStage
from apps.leads.models import DoNotCallEntry, ImportJob, Lead, LeadActivity
from apps.leads.normalize import WRITABLE, LeadContext, canonical_key, normalize_lead

# Keys a client may send back unchanged from a GET (ignored on input, like DRF's read-only fields).
READ_ONLY_KEYS = frozenset({
    "id", "tenant_id", "company_id", "created_at", "updated_at", "attempts_count", "call_attempts",
    "phone_raw",
    "phone_region", "phone_type", "phone_national", "timezone_source", "score_breakdown", "disposition", "subdivision",
    "conversion_value", "converted_at", "deleted_at", "full_name_display", "type", "phone_normalized",
})  # fmt: skip
RELATION_KEYS = {
    "campaign_id": "campaign", "campaign": "campaign", "agent_id": "agent", "agent": "agent",
    "assigned_to": "assigned_to", "assigned_to_id": "assigned_to", "assignee_id": "assigned_to",
}  # fmt: skip


# What lead_to_dict reads: lists fetch just these columns, as plain rows.
LEAD_LIST_FIELDS = (
    "id", "campaign_id", "agent_id", "assigned_to_id", "first_name", "last_name", "phone_e164", "phone_raw",
    "phone_region", "phone_type", "alternate_phone", "email", "company_name", "job_title", "industry", "niche",
    "annual_revenue", "company_size", "preferred_language", "address", "city", "state", "country", "postal_code",
    "timezone", "timezone_source", "source", "source_details", "priority", "interest_level", "lead_score",
    "score_breakdown", "is_hot_lead", "pain_points", "requirements", "tags", "custom_fields", "notes", "status",
    "sub_status", "stage", "disposition", "do_not_call", "next_call_at", "best_time_to_call", "attempts_count",
    "last_call_at", "conversion_value", "converted_at", "created_at", "updated_at", "subdivision", "consent_type",
    "consent_at", "consent_source",
)  # fmt: skip


def lead_to_dict(lead: Lead) -> dict[str, Any]:
    """The API's lead. Built by hand: a list page renders 100 of these, and DRF's field machinery
    costs several times more per object."""
    return {
        "id": str(lead.id),
        "campaign_id": str(lead.campaign_id) if lead.campaign_id else None,
        "agent_id": str(lead.agent_id) if lead.agent_id else None,
        "assigned_to": str(lead.assigned_to_id) if lead.assigned_to_id else None,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "phone_e164": lead.phone_e164,
        "phone": lead.phone_e164,
        "phone_raw": lead.phone_raw,
        "phone_region": lead.phone_region,
        "phone_type": lead.phone_type,
        "alternate_phone": lead.alternate_phone,
        "email": lead.email,
        "company_name": lead.company_name,
        "job_title": lead.job_title,
        "industry": lead.industry,
        "niche": lead.niche,
        "annual_revenue": str(lead.annual_revenue) if lead.annual_revenue is not None else None,
        "company_size": lead.company_size,
        "preferred_language": lead.preferred_language,
        "address": lead.address,
        "city": lead.city,
        "state": lead.state,
        "country": lead.country,
        "postal_code": lead.postal_code,
        "timezone": lead.timezone,
        "timezone_source": lead.timezone_source,
        "subdivision": lead.subdivision,
        "source": lead.source,
        "source_details": lead.source_details,
        "priority": lead.priority,
        "interest_level": lead.interest_level or None,
        "lead_score": lead.lead_score,
        "score_breakdown": lead.score_breakdown,
        "is_hot_lead": lead.is_hot_lead,
        "pain_points": lead.pain_points,
        "requirements": lead.requirements,
        "tags": lead.tags,
        "custom_fields": lead.custom_fields,
        "notes": lead.notes,
        "status": lead.status,
        "sub_status": lead.sub_status,
        "stage": lead.stage,
        "disposition": lead.disposition or None,
        "do_not_call": lead.do_not_call,
        "schedule_at": iso(lead.next_call_at),
        "best_time_to_call": lead.best_time_to_call.isoformat() if lead.best_time_to_call else None,
        "attempts_count": lead.attempts_count,
        "last_call_at": iso(lead.last_call_at),
        "conversion_value": str(lead.conversion_value) if lead.conversion_value is not None else None,
        "converted_at": iso(lead.converted_at),
        "consent_type": lead.consent_type,
        "consent_at": iso(lead.consent_at),
        "consent_source": lead.consent_source,
        "created_at": iso(lead.created_at),
        "updated_at": iso(lead.updated_at),
    }


class LeadSerializer(serializers.ModelSerializer):
    """Output (documented field by field for the schema; rendered by lead_to_dict)."""

    campaign_id = serializers.UUIDField(allow_null=True)
    agent_id = serializers.UUIDField(allow_null=True)
    assigned_to = serializers.UUIDField(source="assigned_to_id", allow_null=True)
    phone = serializers.CharField(source="phone_e164", help_text="Same as phone_e164 (specs 002-004 name).")
    schedule_at = serializers.DateTimeField(source="next_call_at", allow_null=True,
                                            help_text="When the dialer may call (spec 000).")  # fmt: skip

    class Meta:
        model = Lead
        exclude = ["tenant", "campaign", "agent", "next_call_at", "deleted_at", "search_document", "phone_national"]

    def to_representation(self, instance):
        return lead_to_dict(instance)


class LeadInputSerializer(serializers.Serializer):
    """Create and update input. Accepts spec 000's names (phone_e164, schedule_at, agent_id...) and the
    other documents' (phone, company, title, next_contact_date, assigned_to...). Unknown keys are an
    error, except inside custom_fields; keys from a lead's GET representation are ignored."""

    agent_id = serializers.UUIDField(required=False, allow_null=True)
    campaign_id = serializers.UUIDField(required=False, allow_null=True)
    assigned_to = serializers.UUIDField(required=False, allow_null=True)
    first_name = serializers.CharField(required=False, allow_blank=True)
    last_name = serializers.CharField(required=False, allow_blank=True)
    phone_e164 = serializers.CharField(required=False, help_text="Or `phone`. E.164, or national with `region`.")
    region = serializers.CharField(required=False, help_text="Region for a national-format number (e.g. US).")
    email = serializers.EmailField(required=False, allow_blank=True)
    company_name = serializers.CharField(required=False, allow_blank=True)
    custom_fields = serializers.DictField(required=False)
    schedule_at = serializers.DateTimeField(required=False, allow_null=True)
    status = serializers.CharField(required=False, help_text="new, scheduled, done, failed, dnc or a spec alias")
    tags = serializers.ListField(child=serializers.CharField(), required=False)

    def __init__(self, *args, context_for: LeadContext | None = None, partial_input: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_context = context_for or LeadContext()
        self.partial_input = partial_input

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        relations, raw, unknown = {}, {}, []
        for key, value in data.items():
            if key in RELATION_KEYS:
                relations[RELATION_KEYS[key]] = value
            elif key in READ_ONLY_KEYS or key == "region":
                continue
            elif canonical_key(key) in WRITABLE or key == "custom_fields":
                raw[key] = value
            else:
                unknown.append(key)
        if unknown:
            raise serializers.ValidationError(
                {key: ["Unknown field. Put your own data in custom_fields."] for key in unknown}
            )
        result = normalize_lead(raw, self.lead_context, partial=self.partial_input)
        if result.errors:
            errors: dict[str, list[str]] = {}
            for problem in result.errors:
                errors.setdefault("phone_e164" if problem["field"] == "phone_e164" else problem["field"], []).append(
                    problem["error"]
                )
            raise serializers.ValidationError(errors)
        return {"values": result.values, "relations": relations}


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.CharField(required=False)
    stage = serializers.ChoiceField(choices=LeadStage.choices, required=False)
    sub_status = serializers.CharField(required=False, allow_blank=True, max_length=50)


class AssignSerializer(serializers.Serializer):
    assigned_to = serializers.UUIDField(allow_null=True, help_text="A human agent's id, or null to unassign.")


class ScheduleSerializer(serializers.Serializer):
    scheduled_call_time = serializers.DateTimeField(required=False)
    schedule_at = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        at = attrs.get("scheduled_call_time") or attrs.get("schedule_at")
        if at is None:
            raise serializers.ValidationError({"scheduled_call_time": ["This field is required."]})
        return {"at": at}


class ConvertSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True)


class CallAttemptSerializer(serializers.Serializer):
    duration = serializers.IntegerField(min_value=0, max_value=86400, default=0)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    disposition = serializers.ChoiceField(choices=Disposition.choices, required=False, allow_blank=True, default="")
    status = serializers.CharField(required=False)


class ActivitySerializer(serializers.ModelSerializer):
    lead_id = serializers.UUIDField(read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = LeadActivity
        fields = ["id", "lead_id", "activity_type", "description", "metadata", "actor", "created_at"]
        read_only_fields = ["id", "lead_id", "actor", "created_at"]


class ActivityInputSerializer(serializers.Serializer):
    activity_type = serializers.RegexField(
        r"^[a-z][a-z0-9_]{1,31}$", default="note", help_text="note, email_sent, meeting, or your own snake_case type"
    )
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    metadata = serializers.DictField(required=False, default=dict)


class BulkUpdateSerializer(serializers.Serializer):
    lead_ids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False)
    updates = serializers.DictField()


class BulkAssignSerializer(serializers.Serializer):
    lead_ids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False)
    assigned_to = serializers.UUIDField(allow_null=True)


class ImportResultSerializer(serializers.Serializer):
    message = serializers.CharField()
    mode = serializers.CharField()
    results = serializers.DictField(child=serializers.IntegerField())
    errors = serializers.ListField(child=serializers.DictField())
    errors_truncated = serializers.BooleanField()
    rolled_back = serializers.BooleanField()
    imported_count = serializers.IntegerField()


class CsvImportResultSerializer(serializers.Serializer):
    """Spec 000's csv-import response (plus the detailed counts)."""

    success_count = serializers.IntegerField()
    error_count = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
    total_processed = serializers.IntegerField()
    results = serializers.DictField(child=serializers.IntegerField())


class ImportJobSerializer(serializers.ModelSerializer):
    campaign_id = serializers.UUIDField(allow_null=True, read_only=True)
    agent_id = serializers.UUIDField(allow_null=True, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "status", "original_name", "size_bytes", "file_format", "mode", "campaign_id", "agent_id",
            "rows_processed", "progress", "results", "errors", "error_message", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_progress(self, job: ImportJob) -> dict:
        return {"rows_processed": job.rows_processed, "status": job.status}


class DoNotCallSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(write_only=True, required=False, help_text="Any format; stored as E.164.")

    class Meta:
        model = DoNotCallEntry
        fields = ["id", "phone", "phone_e164", "reason", "source", "created_at"]
        read_only_fields = ["id", "phone_e164", "source", "created_at"]


class DoNotCallBulkSerializer(serializers.Serializer):
    phones = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False, max_length=10000)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

"""Writes of the leads app. Every change is one function: it checks the rule, writes the row and
its timeline entry in one transaction, and compare-and-swaps where the dialer may race it."""

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework import status as http

from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.leads.choices import ActivityType, Disposition, LeadStage, LeadStatus
from apps.leads.models import DncSource, DoNotCallEntry, Lead, LeadActivity
from apps.leads.normalize import SETTABLE_STATUSES
from apps.leads.phones import PhoneError, normalize_phone
from apps.leads.regions import subdivision_of
from apps.realtime import events as live

# Statuses owned by the dialer: nobody else may move a lead out of them.
DIALER_OWNED = frozenset({LeadStatus.QUEUED, LeadStatus.CALLING})
BULK_LIMIT = 1000

_DUPLICATE_CONSTRAINTS = {
    "lead_unique_phone_per_campaign": "Lead with this phone number already exists for this campaign",
    "lead_unique_phone_per_agent": "Lead with this phone number already exists for this agent",
    "lead_unique_phone_unassigned": "Lead with this phone number already exists",
}


def region_for(*, tenant, campaign=None, explicit: str = "") -> str:
    """The region national-format numbers are read in: the request's, else the campaign's, else the tenant's."""
    return (explicit or getattr(campaign, "default_country", "") or tenant.default_country or "").upper()


def activity_add(
    *, lead: Lead, actor: Actor, activity_type: str, description: str = "", metadata: dict | None = None
) -> LeadActivity:
    return LeadActivity.objects.create(
        tenant_id=lead.tenant_id, lead=lead, activity_type=activity_type, description=description,
        metadata=metadata or {}, actor_id=actor.user_id, actor_label=actor.label[:100],
    )  # fmt: skip


def _duplicate(exc: IntegrityError, *, tenant, phone: str, campaign, agent) -> ApplicationError | None:
    text = str(exc)
    for name, message in _DUPLICATE_CONSTRAINTS.items():
        if name in text:
            existing = (
                Lead.objects.for_tenant(tenant).alive()
                .filter(phone_e164=phone, campaign=campaign, agent=None if campaign else agent)
                .values_list("id", flat=True).first()
            )  # fmt: skip
            return ApplicationError(message, code="DUPLICATE_LEAD", status_code=http.HTTP_409_CONFLICT,
                                    extra={"existing_lead_id": str(existing) if existing else None})  # fmt: skip
    return None


def phone_is_blocked(*, tenant, phone: str) -> bool:
    return DoNotCallEntry.objects.for_tenant(tenant).filter(phone_e164=phone).exists()


@transaction.atomic
def lead_create(*, tenant, actor: Actor, values: dict[str, Any], campaign=None, agent=None, assigned_to=None) -> Lead:
    """Create a lead from normalised values (apps.leads.normalize). A number on the do-not-call list
    (or marked do_not_call) is kept with status dnc and never dialed."""
    lead = Lead(tenant=tenant, campaign=campaign, agent=agent, assigned_to=assigned_to, **values)
    if lead.do_not_call or phone_is_blocked(tenant=tenant, phone=lead.phone_e164):
        lead.do_not_call, lead.status = True, LeadStatus.DNC
    elif lead.next_call_at is None and lead.status == LeadStatus.NEW:
        lead.next_call_at = timezone.now()  # spec 000: "immediately if no schedule_at is provided"
    elif lead.next_call_at is not None and lead.status == LeadStatus.NEW and lead.next_call_at > timezone.now():
        lead.status = LeadStatus.SCHEDULED
    try:
        with transaction.atomic():
            lead.save(force_insert=True)
    except IntegrityError as exc:
        raise _duplicate(exc, tenant=tenant, phone=lead.phone_e164, campaign=campaign, agent=agent) or exc from None
    activity_add(lead=lead, actor=actor, activity_type=ActivityType.CREATED,
                 description=f"Created with status {lead.status}")  # fmt: skip
    return lead


_TRACKED = ("first_name", "last_name", "phone_e164", "email", "company_name", "job_title", "status", "stage",
            "priority", "next_call_at", "campaign_id", "agent_id", "assigned_to_id", "do_not_call", "notes",
            "interest_level", "lead_score", "tags", "timezone")  # fmt: skip


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, str | bytes | int | float):
        return str(value)
    return value


@transaction.atomic
def lead_update(*, lead: Lead, actor: Actor, values: dict[str, Any], relations: dict[str, Any] | None = None) -> Lead:
    """Change a lead's fields. `relations` may hold campaign, agent and assigned_to (objects of the
    same tenant, already checked). Status words go through the same rules as lead_set_status."""
    locked = Lead.objects.select_for_update(no_key=True).get(pk=lead.pk)
    before = {name: getattr(locked, name) for name in _TRACKED}
    new_status = values.pop("status", None)
    if new_status is not None and new_status != locked.status:
        _check_manual_status(locked, new_status)
        locked.status = new_status
    for name, value in {**values, **(relations or {})}.items():
        setattr(locked, name, value)
    if "phone_e164" in values and locked.timezone_source != "given" and "timezone" not in values:
        phone = normalize_phone(locked.phone_e164)
        locked.timezone, locked.timezone_source = phone.timezone, phone.timezone_source
    if "phone_e164" in values or "state" in values:
        locked.subdivision = subdivision_of(state=locked.state, country=locked.phone_region, e164=locked.phone_e164)
    if "phone_e164" in values and phone_is_blocked(tenant=locked.tenant, phone=locked.phone_e164):
        locked.do_not_call = True
    if locked.do_not_call and locked.status not in DIALER_OWNED:
        locked.status = LeadStatus.DNC
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise _duplicate(exc, tenant=locked.tenant, phone=locked.phone_e164, campaign=locked.campaign,
                         agent=locked.agent) or exc from None  # fmt: skip
    changes = {name: [_jsonable(before[name]), _jsonable(getattr(locked, name))]
               for name in _TRACKED if before[name] != getattr(locked, name)}  # fmt: skip
    if changes:
        activity_add(lead=locked, actor=actor, activity_type=ActivityType.UPDATED,
                     description="Updated " + ", ".join(sorted(changes)), metadata={"changes": changes})  # fmt: skip
        live.lead_updated(locked, changed=sorted(changes))
    return locked


def _check_manual_status(lead: Lead, target: str) -> None:
    if lead.status in DIALER_OWNED:
        raise ApplicationError(
            f"The lead is {lead.status} by the dialer; its status changes when the call ends.",
            code="LEAD_IN_CALL", status_code=http.HTTP_409_CONFLICT, extra={"current_status": lead.status},
        )  # fmt: skip
    if target not in SETTABLE_STATUSES:
        raise ApplicationError(f"Status {target} is set by the dialer only.", code="STATUS_NOT_SETTABLE",
                               status_code=http.HTTP_409_CONFLICT)  # fmt: skip
    leaving_dnc = lead.status == LeadStatus.DNC and target != LeadStatus.DNC
    if leaving_dnc and phone_is_blocked(tenant=lead.tenant, phone=lead.phone_e164):
        raise ApplicationError(
            "This number is on the do-not-call list; remove it from the list first.",
            code="NUMBER_ON_DNC_LIST", status_code=http.HTTP_409_CONFLICT,
        )  # fmt: skip


@transaction.atomic
def lead_set_status(
    *, lead: Lead, actor: Actor, status: str | None = None, stage: str | None = None, sub_status: str | None = None
) -> Lead:
    """PATCH status (spec 003): the dialer status and/or the pipeline stage, by the rules above."""
    locked = Lead.objects.select_for_update(no_key=True).get(pk=lead.pk)
    changes = {}
    if status is not None and status != locked.status:
        _check_manual_status(locked, status)
        changes["status"] = [locked.status, status]
        locked.status = status
        if status == LeadStatus.DNC:
            locked.do_not_call = True
        elif changes["status"][0] == LeadStatus.DNC:
            locked.do_not_call = False
        if status == LeadStatus.NEW and locked.next_call_at is None:
            locked.next_call_at = timezone.now()
    if stage is not None and stage != locked.stage:
        changes["stage"] = [locked.stage, stage]
        locked.stage = stage
    if sub_status is not None:
        locked.sub_status = sub_status
    locked.save()
    if changes:
        activity_add(lead=locked, actor=actor, activity_type=ActivityType.STATUS_CHANGED,
                     description=", ".join(f"{k}: {a} → {b}" for k, (a, b) in changes.items()),
                     metadata={"changes": changes, "sub_status": locked.sub_status})  # fmt: skip
    return locked


@transaction.atomic
def lead_assign(*, lead: Lead, actor: Actor, assignee) -> Lead:
    previous = lead.assigned_to_id
    Lead.objects.filter(pk=lead.pk).update(assigned_to=assignee, updated_at=timezone.now())
    lead.assigned_to = assignee
    activity_add(lead=lead, actor=actor, activity_type=ActivityType.ASSIGNED,
                 description=f"Assigned to {assignee}" if assignee else "Unassigned",
                 metadata={"from": str(previous) if previous else None,
                           "to": str(assignee.pk) if assignee else None})  # fmt: skip
    return lead


@transaction.atomic
def lead_schedule(*, lead: Lead, actor: Actor, at) -> Lead:
    """Set when the dialer may call next. Refused for DNC leads and during a call."""
    locked = Lead.objects.select_for_update(no_key=True).get(pk=lead.pk)
    if locked.status == LeadStatus.DNC or locked.do_not_call:
        raise ApplicationError("This lead is on the do-not-call list.", code="LEAD_IS_DNC",
                               status_code=http.HTTP_409_CONFLICT)  # fmt: skip
    if locked.status in DIALER_OWNED:
        _check_manual_status(locked, LeadStatus.SCHEDULED)
    locked.next_call_at = at
    locked.status = LeadStatus.SCHEDULED if at > timezone.now() else LeadStatus.NEW
    locked.save(update_fields=["next_call_at", "status", "updated_at"])
    activity_add(lead=locked, actor=actor, activity_type=ActivityType.SCHEDULED,
                 description=f"Call scheduled for {at.isoformat()}", metadata={"at": at.isoformat()})  # fmt: skip
    return locked


@transaction.atomic
def lead_convert(*, lead: Lead, actor: Actor, value: Decimal | None) -> Lead:
    """Mark won: stage converted, disposition converted, value and time recorded, no more calls."""
    locked = Lead.objects.select_for_update(no_key=True).get(pk=lead.pk)
    locked.stage, locked.disposition = LeadStage.CONVERTED, Disposition.CONVERTED
    locked.conversion_value, locked.converted_at = value, timezone.now()
    if locked.status not in DIALER_OWNED:
        locked.status = LeadStatus.DONE
    locked.save()
    activity_add(lead=locked, actor=actor, activity_type=ActivityType.CONVERTED,
                 description=f"Converted{f' ({value})' if value is not None else ''}",
                 metadata={"value": str(value) if value is not None else None})  # fmt: skip
    return locked


@transaction.atomic
def lead_record_call_attempt(
    *, lead: Lead, actor: Actor, duration: int = 0, notes: str = "", disposition: str = "",
    status: str | None = None, stage: str | None = None,
) -> Lead:  # fmt: skip
    """Spec 003's manual record of a call made outside the dialer: counts as an attempt."""
    locked = Lead.objects.select_for_update(no_key=True).get(pk=lead.pk)
    if status is not None and status != locked.status:
        _check_manual_status(locked, status)
        locked.status = status
    if stage is not None:
        locked.stage = stage
    locked.attempts_count += 1
    locked.last_call_at = timezone.now()
    if disposition:
        locked.disposition = disposition
    if locked.stage == LeadStage.NEW:
        locked.stage = LeadStage.CONTACTED
    locked.save()
    activity_add(lead=locked, actor=actor, activity_type=ActivityType.CALL_ATTEMPT,
                 description=notes or f"Call attempt ({disposition or 'no disposition'})",
                 metadata={"duration": duration, "disposition": disposition, "notes": notes})  # fmt: skip
    return locked


@transaction.atomic
def lead_delete(*, lead: Lead, actor: Actor) -> None:
    """Soft delete (spec 000): hidden from every API and from dialing; kept, and restorable."""
    if lead.status in DIALER_OWNED:
        _check_manual_status(lead, LeadStatus.DONE)
    if Lead.objects.filter(pk=lead.pk, deleted_at__isnull=True).update(deleted_at=timezone.now()) == 1:
        activity_add(lead=lead, actor=actor, activity_type=ActivityType.DELETED, description="Deleted")


@transaction.atomic
def lead_restore(*, lead: Lead, actor: Actor) -> Lead:
    try:
        with transaction.atomic():
            Lead.objects.filter(pk=lead.pk).update(deleted_at=None, updated_at=timezone.now())
    except IntegrityError as exc:
        raise _duplicate(exc, tenant=lead.tenant, phone=lead.phone_e164, campaign=lead.campaign,
                         agent=lead.agent) or exc from None  # fmt: skip
    lead.deleted_at = None
    activity_add(lead=lead, actor=actor, activity_type=ActivityType.RESTORED, description="Restored")
    return lead


# Bulk ---------------------------------------------------------------------------------------------
def _bulk_leads(tenant, ids: list) -> list[Lead]:
    if len(ids) > BULK_LIMIT:
        raise ApplicationError(f"At most {BULK_LIMIT} leads per request; got {len(ids)}.", code="TOO_MANY_IDS",
                               status_code=http.HTTP_400_BAD_REQUEST)  # fmt: skip
    unique = list(dict.fromkeys(str(i) for i in ids))
    leads = list(Lead.objects.for_tenant(tenant).alive().select_for_update().filter(pk__in=unique))
    if len(leads) != len(unique):
        found = {str(lead.pk) for lead in leads}
        missing = [i for i in unique if i not in found]
        raise ApplicationError(
            f"{len(missing)} of the leads were not found; nothing was changed.", code="NOT_FOUND",
            status_code=http.HTTP_404_NOT_FOUND, extra={"missing_ids": missing[:100]},
        )  # fmt: skip
    return leads


@transaction.atomic
def leads_bulk_update(*, tenant, actor: Actor, ids: list, values: dict[str, Any]) -> dict[str, int]:
    """Apply the same changes to up to 1,000 leads of the tenant, all or nothing. Leads in a call keep
    their status (the dialer owns it) and are counted as skipped for the status change."""
    leads = _bulk_leads(tenant, ids)
    status_value = values.pop("status", None)
    ids_all = [lead.pk for lead in leads]
    now = timezone.now()
    updated = Lead.objects.filter(pk__in=ids_all).update(**values, updated_at=now) if values else 0
    skipped = 0
    if status_value is not None:
        movable = Q(pk__in=ids_all) & ~Q(status__in=DIALER_OWNED)
        if status_value != LeadStatus.DNC:
            movable &= Q(do_not_call=False)
        changed = Lead.objects.filter(movable).update(status=status_value, updated_at=now)
        skipped = len(ids_all) - changed
        updated = max(updated, changed)
    LeadActivity.objects.bulk_create(
        LeadActivity(tenant_id=tenant.pk, lead_id=pk, activity_type=ActivityType.UPDATED,
                     description="Bulk update: " + ", ".join(sorted([*values, *(["status"] if status_value else [])])),
                     metadata={"changes": {k: _jsonable(v) for k, v in values.items()}, "status": status_value},
                     actor_id=actor.user_id, actor_label=actor.label[:100])
        for pk in ids_all
    )  # fmt: skip
    return {"updated_count": len(ids_all) if values else updated, "skipped_count": skipped}


@transaction.atomic
def leads_bulk_assign(*, tenant, actor: Actor, ids: list, assignee) -> int:
    leads = _bulk_leads(tenant, ids)
    ids_all = [lead.pk for lead in leads]
    Lead.objects.filter(pk__in=ids_all).update(assigned_to=assignee, updated_at=timezone.now())
    LeadActivity.objects.bulk_create(
        LeadActivity(tenant_id=tenant.pk, lead_id=pk, activity_type=ActivityType.ASSIGNED,
                     description=f"Assigned to {assignee}" if assignee else "Unassigned",
                     metadata={"to": str(assignee.pk) if assignee else None}, actor_id=actor.user_id,
                     actor_label=actor.label[:100])
        for pk in ids_all
    )  # fmt: skip
    return len(ids_all)


# Do-not-call ------------------------------------------------------------------------------------
def _apply_dnc_to_leads(*, tenant, phones: list[str], actor: Actor) -> int:
    """Every live lead with one of these numbers becomes do_not_call (status dnc unless in a call:
    the dialer checks the flag before it dials and when the call ends)."""
    leads = []
    for start in range(0, len(phones), 500):
        leads += list(
            Lead.objects.for_tenant(tenant).alive().with_phones(phones[start : start + 500]).filter(do_not_call=False)
            .values_list("pk", "status")
        )  # fmt: skip
    if not leads:
        return 0
    pks = [pk for pk, _ in leads]
    Lead.objects.filter(pk__in=pks).update(do_not_call=True, updated_at=timezone.now())
    Lead.objects.filter(pk__in=pks).exclude(status__in=DIALER_OWNED).update(status=LeadStatus.DNC)
    LeadActivity.objects.bulk_create(
        LeadActivity(tenant_id=tenant.pk, lead_id=pk, activity_type=ActivityType.DNC,
                     description="Number added to the do-not-call list", actor_id=actor.user_id,
                     actor_label=actor.label[:100])
        for pk in pks
    )  # fmt: skip
    return len(pks)


@transaction.atomic
def dnc_add(*, tenant, actor: Actor, phone: str, reason: str = "", source: str = DncSource.MANUAL,
            region: str = "") -> tuple[DoNotCallEntry, bool]:  # fmt: skip
    e164 = normalize_phone(phone, region or tenant.default_country).e164
    entry, created = DoNotCallEntry.objects.get_or_create(
        tenant=tenant, phone_e164=e164,
        defaults={"reason": reason[:255], "source": source, "added_by_id": actor.user_id},
    )  # fmt: skip
    _apply_dnc_to_leads(tenant=tenant, phones=[e164], actor=actor)
    return entry, created


@transaction.atomic
def dnc_bulk_add(*, tenant, actor: Actor, phones: list, reason: str = "", source: str = DncSource.API,
                 region: str = "") -> dict[str, Any]:  # fmt: skip
    """Add many numbers; bad ones are reported, the good ones are added (existing ones are kept)."""
    valid, errors = [], []
    for index, raw in enumerate(phones, start=1):
        try:
            valid.append(normalize_phone(raw, region or tenant.default_country).e164)
        except PhoneError as exc:
            errors.append({"row": index, "value": str(raw)[:64], "error": str(exc)})
    unique = list(dict.fromkeys(valid))
    existing = set(
        DoNotCallEntry.objects.for_tenant(tenant).filter(phone_e164__in=unique).values_list("phone_e164", flat=True)
    )
    DoNotCallEntry.objects.bulk_create(
        [DoNotCallEntry(tenant=tenant, phone_e164=p, reason=reason[:255], source=source, added_by_id=actor.user_id)
         for p in unique if p not in existing],
        ignore_conflicts=True,
    )  # fmt: skip
    leads_marked = _apply_dnc_to_leads(tenant=tenant, phones=unique, actor=actor)
    return {"total": len(phones), "added": len(unique) - len(existing), "already_listed": len(existing),
            "invalid": len(errors), "leads_marked": leads_marked, "errors": errors[:1000]}  # fmt: skip


def dnc_remove(*, entry: DoNotCallEntry) -> None:
    """Take a number off the list. Its leads stay do-not-call until someone re-enables them on purpose."""
    entry.delete()

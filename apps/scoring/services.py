"""Writes of the scoring app: score a lead and keep the score on it (with a timeline entry when it
moves), rescore a tenant's open leads in batches, and train a tenant's model (the request, which
refuses when there are too few outcomes, and the run, which a Celery worker does).

Which leads are labelled (docs/scoring.md): converted ones are positive (stage converted, or a
conversion time); leads that are finished without converting are negative (stage lost, or status
done, failed or dnc after at least one call). Leads still being worked are not labels.
"""

import dataclasses
import datetime as dt
import logging
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from rest_framework import status as http

from apps.core import clock
from apps.core.actors import SYSTEM, Actor
from apps.core.exceptions import ApplicationError
from apps.core.serializers import iso
from apps.leads.choices import LeadStage, LeadStatus
from apps.leads.models import Lead, LeadActivity
from apps.realtime import events as live
from apps.scoring import learning
from apps.scoring.choices import OPEN_TRAINING, ScoredBy, ScoreMethod, TrainingStatus, TrainingTrigger
from apps.scoring.features import LEAD_FIELDS, LeadFacts, histories, lead_facts
from apps.scoring.models import ScoringModel, TrainingJob
from apps.scoring.rules import Score, cap, recommendations, score_rules
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)
SCORE_CHANGED = "score_changed"  # LeadActivity.activity_type of a score that moved
RESCORE_BATCH = 500
HISTORY_CHUNK = 2000  # leads per call-history query while building a training set
CONVERTED = Q(stage=LeadStage.CONVERTED) | Q(converted_at__isnull=False)
FINISHED = Q(stage=LeadStage.LOST) | Q(status__in=[LeadStatus.DONE, LeadStatus.FAILED, LeadStatus.DNC],
                                        attempts_count__gt=0)  # fmt: skip


# Policy and the active model ---------------------------------------------------------------------
def tenant_policy(tenant_id) -> tuple[int, bool, str]:
    """(hot-lead threshold 0-100, whether to score with the model, the tenant's industry): one query."""
    row = Tenant.objects.filter(pk=tenant_id).values_list(
        "scoring_policy__hot_lead_threshold", "scoring_policy__use_model", "industry"
    ).first() or (None, None, "")  # fmt: skip
    threshold, use_model, industry = row
    return (settings.SCORING_HOT_LEAD_THRESHOLD if threshold is None else threshold,
            use_model is not False, industry or "")  # fmt: skip


def policy_of(tenant_id) -> tuple[int, bool]:
    """(hot-lead threshold 0-100, whether to score with the model) for the tenant."""
    return tenant_policy(tenant_id)[:2]


@dataclasses.dataclass(frozen=True)
class ActiveModel:
    id: str
    pipeline: object
    quantiles: list
    trained_at: dt.datetime


@lru_cache(maxsize=16)
def _pipeline_of(model_id: str):
    """A stored model's pipeline, loaded once per process (a model row never changes)."""
    return learning.load(ScoringModel.objects.values_list("pipeline", flat=True).get(pk=model_id))


def active_model(tenant_id) -> ActiveModel | None:
    row = (
        ScoringModel.objects.filter(tenant_id=tenant_id, is_active=True)
        .only("id", "feature_version", "library_version", "metrics", "trained_at")
        .first()
    )
    if row is None:
        return None
    if row.feature_version != learning.FEATURE_VERSION or row.library_version != learning.library_version():
        logger.warning("Scoring model %s was trained with other features or scikit-learn %s; using the rules "
                       "until it is retrained", row.pk, row.library_version)  # fmt: skip
        return None
    return ActiveModel(id=str(row.pk), pipeline=_pipeline_of(str(row.pk)),
                       quantiles=row.metrics.get("rank_quantiles", []), trained_at=row.trained_at)  # fmt: skip


# Scoring ---------------------------------------------------------------------------------------------
def score_many(facts: list[LeadFacts], *, threshold: int, model: ActiveModel | None) -> list[Score]:
    """Rule-based scores, and with a model its probability and rank in their place (the parts and
    the reasons stay the rules': they say why in words)."""
    scores = [score_rules(f, hot_threshold=threshold) for f in facts]
    if model is None or not facts:
        return scores
    probabilities = learning.predict(model.pipeline, [learning.vector(f) for f in facts])
    for score, f, p in zip(scores, facts, probabilities, strict=True):
        overall = cap(f, learning.rank(p, model.quantiles))
        won = f.converted or f.history.sale
        score.overall = overall
        score.conversion_probability = 1.0 if won else (0.0 if f.do_not_call or f.history.dnc else p)
        score.scored_by, score.model_id = ScoredBy.MODEL, model.id
        score.recommendations = recommendations(f, overall, threshold)
        if 0 < overall < 1:
            words = f"Ranks above {round(overall * 100)}% of your past leads (your model)"
            (score.positive_factors if overall >= 0.5 else score.negative_factors).insert(0, words)
    return scores


def is_hot(score: Score, f: LeadFacts, threshold: int) -> bool:
    """Over the tenant's threshold, and still someone to call (not converted, not do-not-call)."""
    return score.lead_score >= threshold and not (f.converted or f.do_not_call or f.history.sale or f.history.dnc)


def _breakdown(score: Score, *, hot: bool, threshold: int, at: dt.datetime) -> dict:
    return {**score.parts(), "lead_score": score.lead_score, "is_hot_lead": hot, "hot_lead_threshold": threshold,
            "scored_by": score.scored_by, "model_id": score.model_id, "scored_at": iso(at)}  # fmt: skip


def _timeline_entry(lead: Lead, breakdown: dict, *, actor: Actor, reason: str, call_id=None) -> LeadActivity:
    old, new = lead.lead_score, breakdown["lead_score"]
    hot_words = {(False, True): "; now a hot lead", (True, False): "; no longer a hot lead"}
    return LeadActivity(
        tenant_id=lead.tenant_id, lead=lead, activity_type=SCORE_CHANGED,
        description=f"Score {old} -> {new}" + hot_words.get((lead.is_hot_lead, breakdown["is_hot_lead"]), ""),
        metadata={"from": old, "to": new, "is_hot_lead": breakdown["is_hot_lead"], "scored_by": breakdown["scored_by"],
                  "model_id": breakdown["model_id"], "reason": reason, "call_id": str(call_id) if call_id else None},
        actor_id=actor.user_id, actor_label=actor.label[:100],
    )  # fmt: skip


def lead_score_compute(*, lead_id, tenant_id, actor: Actor = SYSTEM, reason: str = "", method: str = ScoreMethod.AUTO,
                       save: bool = True, call_id=None) -> dict:  # fmt: skip
    """Score one lead of the tenant and (unless `save` is off) keep it: lead_score 0-100, its
    breakdown and the hot-lead flag, with a timeline entry when the score or the flag moved.
    Returns the breakdown (spec 001's parts plus lead_score, is_hot_lead, scored_by...).
    Raises Lead.DoesNotExist for no such live lead of the tenant."""
    with transaction.atomic():
        leads = Lead.objects.alive().filter(tenant_id=tenant_id, pk=lead_id).only(*LEAD_FIELDS)
        lead = (leads.select_for_update(of=("self",), no_key=True) if save else leads).first()
        if lead is None:
            raise Lead.DoesNotExist(f"Lead {lead_id} not found.")
        threshold, use_model, industry = tenant_policy(tenant_id)
        model = None
        if method == ScoreMethod.MODEL or (method == ScoreMethod.AUTO and use_model):
            model = active_model(tenant_id)
            if model is None and method == ScoreMethod.MODEL:
                raise ApplicationError("This tenant has no trained model yet: see GET /api/v1/ml/training/status/.",
                                       code="NO_TRAINED_MODEL", status_code=http.HTTP_409_CONFLICT)  # fmt: skip
        history = histories([lead.pk], tenant_id=tenant_id)[lead.pk]
        facts = lead_facts(lead, history=history, tenant_industry=industry)
        score = score_many([facts], threshold=threshold, model=model)[0]
        at = clock.now()
        breakdown = _breakdown(score, hot=is_hot(score, facts, threshold), threshold=threshold, at=at)
        if save:
            Lead.objects.filter(pk=lead.pk).update(
                lead_score=breakdown["lead_score"], is_hot_lead=breakdown["is_hot_lead"], score_breakdown=breakdown,
                updated_at=at,
            )  # fmt: skip
            if (lead.lead_score, lead.is_hot_lead) != (breakdown["lead_score"], breakdown["is_hot_lead"]):
                _timeline_entry(lead, breakdown, actor=actor, reason=reason, call_id=call_id).save()
                lead.lead_score, lead.is_hot_lead = breakdown["lead_score"], breakdown["is_hot_lead"]
                live.lead_updated(lead, changed=["lead_score", "is_hot_lead"])
    return {"lead_id": str(lead.pk), **breakdown, "saved": save}


def lead_rescore(*, lead_id, call_id=None) -> str:
    """A call of the lead ended (the task queued by apps.calls.outcomes.finalize): score it anew."""
    tenant_id = Lead.objects.filter(pk=lead_id).values_list("tenant_id", flat=True).first()
    if tenant_id is None:
        return "gone"
    try:
        result = lead_score_compute(lead_id=lead_id, tenant_id=tenant_id, reason="call_ended", call_id=call_id)
    except Lead.DoesNotExist:
        return "gone"
    return str(result["lead_score"])


def leads_rescore(*, tenant_id, after=None, limit: int = RESCORE_BATCH) -> str | None:
    """Rescore one batch of the tenant's open leads (by id, after `after`); the cursor of the next
    batch, or None when done. Leads locked right now (a call of theirs is being finalized, which
    rescores them anyway) are skipped."""
    with transaction.atomic():
        queryset = (
            Lead.objects.alive().filter(tenant_id=tenant_id, do_not_call=False)
            .exclude(stage__in=[LeadStage.CONVERTED, LeadStage.LOST])
            .order_by("id").only(*LEAD_FIELDS)
        )  # fmt: skip
        if after:
            queryset = queryset.filter(id__gt=after)
        leads = list(queryset.select_for_update(of=("self",), skip_locked=True, no_key=True)[:limit])
        if not leads:
            return None
        threshold, use_model, industry = tenant_policy(tenant_id)
        model = active_model(tenant_id) if use_model else None
        history = histories([lead.pk for lead in leads], tenant_id=tenant_id)
        facts = [lead_facts(lead, history=history[lead.pk], tenant_industry=industry) for lead in leads]
        at = clock.now()
        changed, entries = [], []
        for lead, f, score in zip(leads, facts, score_many(facts, threshold=threshold, model=model), strict=True):
            breakdown = _breakdown(score, hot=is_hot(score, f, threshold), threshold=threshold, at=at)
            if (lead.lead_score, lead.is_hot_lead) != (breakdown["lead_score"], breakdown["is_hot_lead"]):
                entries.append(_timeline_entry(lead, breakdown, actor=SYSTEM, reason="rescored"))
            lead.lead_score, lead.is_hot_lead = breakdown["lead_score"], breakdown["is_hot_lead"]
            lead.score_breakdown, lead.updated_at = breakdown, at
            changed.append(lead)
        Lead.objects.bulk_update(changed, ["lead_score", "is_hot_lead", "score_breakdown", "updated_at"])
        LeadActivity.objects.bulk_create(entries)
    return str(leads[-1].pk) if len(leads) == limit else None


# Training --------------------------------------------------------------------------------------------
def labelled_leads(tenant_id):
    return Lead.objects.alive().filter(tenant_id=tenant_id).filter(CONVERTED | FINISHED)


def label_counts(tenant_id) -> tuple[int, int]:
    """(labelled leads, of which converted)."""
    counts = labelled_leads(tenant_id).aggregate(total=Count("id"), positives=Count("id", filter=CONVERTED))
    return counts["total"], counts["positives"]


def requirements() -> dict:
    return {"min_labelled_leads": settings.SCORING_MIN_TRAINING_LEADS,
            "min_positive_leads": settings.SCORING_MIN_TRAINING_POSITIVES,
            "min_negative_leads": settings.SCORING_MIN_TRAINING_POSITIVES}  # fmt: skip


def shortfall(total: int, positives: int) -> str:
    """Why these labels are too few to train on ("" when they are enough)."""
    need = requirements()
    if total < need["min_labelled_leads"]:
        return f"{total} labelled leads; training needs at least {need['min_labelled_leads']}."
    if positives < need["min_positive_leads"]:
        return f"{positives} converted leads; training needs at least {need['min_positive_leads']}."
    if total - positives < need["min_negative_leads"]:
        return f"{total - positives} leads finished without converting; training needs at least " \
            f"{need['min_negative_leads']}."  # fmt: skip
    return ""


def _expire_stale(tenant_id) -> None:
    """A job open for longer than any training takes lost its worker (or its message): close it."""
    limit = clock.now() - dt.timedelta(seconds=settings.SCORING_TRAINING_STALE_SECONDS)
    TrainingJob.objects.filter(tenant_id=tenant_id, status__in=sorted(OPEN_TRAINING), updated_at__lt=limit).update(
        status=TrainingStatus.FAILED, finished_at=clock.now(), error_code="TRAINING_LOST",
        error_message="The job did not finish in time (its worker stopped?); ask again.",
    )  # fmt: skip


def training_request(*, tenant_id, user=None, trigger: str = TrainingTrigger.MANUAL) -> tuple[TrainingJob, bool]:
    """Queue a training of the tenant's model: (the job, whether it is new). An open job is
    returned as it is; too few labelled leads is a 409 INSUFFICIENT_TRAINING_DATA."""
    from apps.scoring import tasks

    _expire_stale(tenant_id)
    total, positives = label_counts(tenant_id)
    if why := shortfall(total, positives):
        raise ApplicationError(
            f"Not enough outcomes to train on: {why} Until then leads get the rule-based score.",
            code="INSUFFICIENT_TRAINING_DATA", status_code=http.HTTP_409_CONFLICT,
            extra={"labelled_leads": total, "positive_leads": positives, **requirements()},
        )  # fmt: skip
    try:
        with transaction.atomic():
            job = TrainingJob.objects.create(tenant_id=tenant_id, trigger=trigger, requested_by=user,
                                             samples=total, positives=positives)  # fmt: skip
    except IntegrityError:  # one open job per tenant (trainingjob_one_open): someone asked first
        return TrainingJob.objects.get(tenant_id=tenant_id, status__in=sorted(OPEN_TRAINING)), False
    transaction.on_commit(lambda: tasks.training_run.apply_async(args=[str(job.pk)], task_id=str(job.pk)))
    return job, True


def training_dataset(tenant_id, *, limit: int | None = None) -> tuple[list[dict], list[int], list[float]]:
    """(feature rows, labels, rule-based overall scores) of the tenant's labelled leads, newest
    first. Each lead is seen as it was before the call that decided it: its latest call is left out
    and so are the converted and do-not-call marks."""
    leads = list(labelled_leads(tenant_id).only(*LEAD_FIELDS)
                 .order_by("-updated_at")[: limit or settings.SCORING_TRAINING_MAX_LEADS])  # fmt: skip
    industry = tenant_policy(tenant_id)[2]
    rows, labels, baseline = [], [], []
    for start in range(0, len(leads), HISTORY_CHUNK):
        chunk = leads[start : start + HISTORY_CHUNK]
        history = histories([lead.pk for lead in chunk], tenant_id=tenant_id, drop_last=True)
        for lead in chunk:
            facts = dataclasses.replace(lead_facts(lead, history=history[lead.pk], tenant_industry=industry),
                                        converted=False, do_not_call=False)  # fmt: skip
            rows.append(learning.vector(facts))
            labels.append(int(lead.stage == LeadStage.CONVERTED or lead.converted_at is not None))
            baseline.append(score_rules(facts).overall)
    return rows, labels, baseline


def _finish(job_id, status: str, **fields) -> None:
    TrainingJob.objects.filter(pk=job_id, status=TrainingStatus.RUNNING).update(
        status=status, finished_at=clock.now(), updated_at=clock.now(), **fields
    )


def training_run(*, job_id, rescore: bool = True) -> str:
    """Train the job's tenant's model (a Celery worker). Claimed first, so a redelivered task does
    nothing; the new model replaces the active one and (unless `rescore` is off) the tenant's open
    leads are rescored with it."""
    from apps.scoring import tasks

    now = clock.now()
    if not TrainingJob.objects.filter(pk=job_id, status=TrainingStatus.QUEUED).update(
        status=TrainingStatus.RUNNING, started_at=now, updated_at=now
    ):
        return "not_queued"
    job = TrainingJob.objects.get(pk=job_id)
    try:
        rows, labels, baseline = training_dataset(job.tenant_id)
        positives = sum(labels)
        if why := shortfall(len(labels), positives):
            _finish(job_id, TrainingStatus.SKIPPED, samples=len(labels), positives=positives,
                    error_code="INSUFFICIENT_TRAINING_DATA", error_message=why)  # fmt: skip
            return TrainingStatus.SKIPPED
        trained = learning.train(rows, labels, baseline)
        with transaction.atomic():
            ScoringModel.objects.filter(tenant_id=job.tenant_id, is_active=True).update(is_active=False)
            ScoringModel.objects.create(
                tenant_id=job.tenant_id, trained_at=clock.now(), algorithm=learning.ALGORITHM,
                feature_version=learning.FEATURE_VERSION, library_version=learning.library_version(),
                pipeline=trained.blob, samples=trained.samples, positives=trained.positives,
                train_samples=trained.train_samples, holdout_samples=trained.holdout_samples, metrics=trained.metrics,
                job=job,
            )  # fmt: skip
            _finish(job_id, TrainingStatus.SUCCEEDED, samples=trained.samples, positives=trained.positives)
            if rescore:
                transaction.on_commit(lambda: tasks.leads_rescore.delay(str(job.tenant_id)))
    except Exception as exc:  # a training that breaks must say so on its job, not leave it running
        logger.exception("Training job %s failed", job_id)
        _finish(job_id, TrainingStatus.FAILED, error_code="TRAINING_FAILED", error_message=repr(exc)[:2000])
        return TrainingStatus.FAILED
    return TrainingStatus.SUCCEEDED


def training_schedule() -> int:
    """The weekly retraining: a job for every tenant with enough labelled leads. Returns how many."""
    need = requirements()
    ready = (
        Lead.objects.alive().filter(CONVERTED | FINISHED).values("tenant_id")
        .annotate(total=Count("id"), positives=Count("id", filter=CONVERTED))
        .filter(total__gte=need["min_labelled_leads"], positives__gte=need["min_positive_leads"])
    )  # fmt: skip
    queued = 0
    for row in ready:
        try:
            _, created = training_request(tenant_id=row["tenant_id"], trigger=TrainingTrigger.SCHEDULE)
        except ApplicationError:
            continue
        queued += created
    return queued

"""Celery tasks of the scoring app: thin wrappers, ids in, safe to run twice."""

from celery import shared_task
from django.db import transaction


@shared_task(name="apps.scoring.tasks.lead_rescore", ignore_result=True, soft_time_limit=30, time_limit=45)
def lead_rescore(lead_id: str, call_id: str | None = None) -> str:
    """Score a lead anew after one of its calls ended."""
    from apps.scoring.services import lead_rescore as run

    return run(lead_id=lead_id, call_id=call_id)


def rescore_after_commit(lead_id, call_id=None) -> None:
    """Queue the lead's rescoring once the transaction that ended its call commits (finalize)."""
    transaction.on_commit(lambda: lead_rescore.delay(str(lead_id), str(call_id) if call_id else None))


@shared_task(name="apps.scoring.tasks.leads_rescore", ignore_result=True, soft_time_limit=300, time_limit=360)
def leads_rescore(tenant_id: str, after: str | None = None) -> None:
    """Rescore a tenant's open leads (after a new model), one batch per task."""
    from apps.scoring.services import leads_rescore as run

    cursor = run(tenant_id=tenant_id, after=after)
    if cursor:
        leads_rescore.delay(tenant_id, cursor)


@shared_task(name="apps.scoring.tasks.training_run", acks_late=True, soft_time_limit=1800, time_limit=1900)
def training_run(job_id: str) -> str:
    """Train the job's tenant's model (the task id is the job's id)."""
    from apps.scoring.services import training_run as run

    return run(job_id=job_id)


@shared_task(name="apps.scoring.tasks.training_schedule", ignore_result=True, soft_time_limit=300, time_limit=360)
def training_schedule() -> int:
    """Weekly (beat): retrain every tenant that has enough outcomes."""
    from apps.scoring.services import training_schedule as run

    return run()

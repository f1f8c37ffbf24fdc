"""Celery tasks of the leads app: thin wrappers, ids in, idempotent."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300)
def import_job_run(job_id: str) -> None:
    from apps.leads.importing.jobs import import_job_run as run

    run(job_id=job_id)


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def search_index_merge() -> None:
    """Merge the search index's pending list (after imports, and every minute from beat)."""
    from apps.leads.search_index import merge_pending

    merge_pending()

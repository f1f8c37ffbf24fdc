"""Imports too big for a request (over LEAD_IMPORT_SYNC_MAX_BYTES) run as an ImportJob on a worker,
with the same engine and the same result shape; /api/v1/imports/{id}/ shows progress."""

import logging
from datetime import timedelta

from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.actors import Actor
from apps.leads.importing.engine import ImportSpec, import_leads
from apps.leads.importing.readers import ImportFileError, open_rows
from apps.leads.models import ImportJob, ImportStatus
from apps.realtime import events as live

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=1)  # a running job this old lost its worker; it may be claimed again


def import_job_create(*, spec: ImportSpec, upload: File, actor: Actor) -> ImportJob:
    job = ImportJob(
        tenant=spec.tenant, original_name=(upload.name or "")[:255], size_bytes=upload.size or 0,
        campaign=spec.campaign, agent=spec.agent, field_mapping=spec.field_mapping,
        default_values=_jsonable(spec.default_values), default_region=spec.region, mode=spec.mode,
        created_by_id=actor.user_id,
    )  # fmt: skip
    job.file.save(f"{job.id}-{(upload.name or 'upload').rsplit('/', 1)[-1][:80]}", upload, save=False)
    job.save()
    from apps.leads.tasks import import_job_run

    transaction.on_commit(lambda: import_job_run.delay(str(job.id)))
    return job


def _jsonable(values: dict) -> dict:
    return {k: (v if isinstance(v, str | int | float | bool | list | dict) or v is None else str(v))
            for k, v in (values or {}).items()}  # fmt: skip


def _claim(job_id) -> ImportJob | None:
    """Compare-and-swap pending (or stale running) -> running, so a redelivered task never runs a job twice."""
    now = timezone.now()
    claimable = Q(status=ImportStatus.PENDING) | Q(status=ImportStatus.RUNNING, started_at__lt=now - STALE_AFTER)
    if not ImportJob.objects.filter(claimable, pk=job_id).update(status=ImportStatus.RUNNING, started_at=now):
        return None
    return ImportJob.objects.select_related("tenant", "campaign", "agent").get(pk=job_id)


def import_job_run(*, job_id) -> None:
    job = _claim(job_id)
    if job is None:
        return

    def progress(raw_connection, rows: int) -> None:
        # Runs on the import's writer thread, after each batch: raw SQL on the connection it is given.
        raw_connection.execute("UPDATE leads_importjob SET rows_processed = %s WHERE id = %s", [rows, job.pk])
        live.import_progress(tenant_id=job.tenant_id, job_id=job.pk, status=ImportStatus.RUNNING, rows_processed=rows)

    spec = ImportSpec(
        tenant=job.tenant, campaign=job.campaign, agent=job.agent, field_mapping=job.field_mapping,
        default_values=job.default_values, region=job.default_region, mode=job.mode, actor_id=job.created_by_id,
        actor_label=f"import:{job.pk}", source_name=job.original_name, job_id=job.pk,
    )  # fmt: skip
    try:
        with job.file.open("rb") as handle:
            outcome = import_leads(open_rows(handle, job.original_name), spec, progress=progress)
    except ImportFileError as exc:
        _finish(job, status=ImportStatus.FAILED, message=exc.message, code=exc.code)
        return
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        _finish(job, status=ImportStatus.FAILED, message=f"Internal error: {type(exc).__name__}", code="INTERNAL_ERROR")
        raise
    job.file.delete(save=False)  # spec 003: the file goes once processed
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.COMPLETED, finished_at=timezone.now(), rows_processed=outcome.total, file="",
        results={**outcome.counts(), "rolled_back": outcome.rolled_back, "errors_truncated": outcome.errors_truncated},
        errors=outcome.errors,
    )  # fmt: skip
    live.import_progress(tenant_id=job.tenant_id, job_id=job.pk, status=ImportStatus.COMPLETED,
                         rows_processed=outcome.total, results=outcome.counts())  # fmt: skip


def _finish(job: ImportJob, *, status: str, message: str, code: str) -> None:
    job.file.delete(save=False)
    ImportJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), error_message=message,
                                               results={"error_code": code}, file="")  # fmt: skip
    live.import_progress(tenant_id=job.tenant_id, job_id=job.pk, status=status, rows_processed=job.rows_processed,
                         results={"error_code": code, "error_message": message})  # fmt: skip

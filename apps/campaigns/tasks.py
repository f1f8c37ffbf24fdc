"""Beat's campaign work: start scheduled campaigns at their start, complete them at their end."""

from celery import shared_task

from apps.campaigns import lifecycle


@shared_task(name="apps.campaigns.tasks.advance_schedules", ignore_result=True)
def advance_schedules() -> dict[str, int]:
    return lifecycle.advance_schedules()

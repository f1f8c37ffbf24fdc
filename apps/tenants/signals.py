"""Keep the signed-in principal cache (apps.tenants.authentication) true: any save or delete of a
user, or of the tenant they belong to, drops the cached copy, so a deactivation, a role change or a
suspension holds from the next request on, in every process."""

import logging

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.tenants.authentication import principal_cache_key
from apps.tenants.models import Tenant, User

logger = logging.getLogger(__name__)


def _forget(user_ids) -> None:
    keys = [principal_cache_key(user_id) for user_id in user_ids]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:  # Redis down: nothing is being served from it either
        logger.warning("principal cache unavailable; could not drop %d entries", len(keys), exc_info=True)


@receiver([post_save, post_delete], sender=User, dispatch_uid="tenants.forget_user")
def forget_user(sender, instance: User, **kwargs) -> None:
    _forget([instance.pk])


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="tenants.forget_tenant_users")
def forget_tenant_users(sender, instance: Tenant, **kwargs) -> None:
    _forget(User.objects.filter(tenant_id=instance.pk).values_list("pk", flat=True))

"""Tenancy is security: this test fails when a model or an API endpoint escapes the one scoping
mechanism (TenantOwnedModel for data, TenantScopedMixin for endpoints)."""

import uuid

from django.apps import apps
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from apps.core.models import TenantOwnedModel
from apps.core.viewsets import TenantScopedMixin
from apps.tenants.models import Tenant, User

# Models of ours that are deliberately not TenantOwnedModel, and why.
NOT_TENANT_OWNED = {
    "tenants.Tenant": "the tenant itself",
    "tenants.User": "platform staff have no tenant; tenant users are reached through UserViewSet (scoped)",
    "calls.ComplianceRule": "platform rules have no tenant; a tenant's own rules carry it and are scoped",
    "calls.DialerSwitch": "the platform's one dialing switch",
}


def our_models():
    return [m for m in apps.get_models() if m.__module__.startswith("apps.") and not m._meta.abstract]


def api_views():
    """(route, view class, actions) for every route under /api/v1/."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                cls = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
                yield route, cls, getattr(pattern.callback, "actions", None)

    return [(r, c, a) for r, c, a in walk(get_resolver().url_patterns, "/") if r.startswith("/api/v1/")]


def test_every_model_of_ours_carries_its_tenant():
    escaped = [m._meta.label for m in our_models()
               if m._meta.label not in NOT_TENANT_OWNED and not issubclass(m, TenantOwnedModel)]  # fmt: skip
    assert not escaped, f"tenant-owned models must subclass TenantOwnedModel: {escaped}"


def test_the_exceptions_list_names_only_real_models():
    labels = {m._meta.label for m in our_models()}
    assert set(NOT_TENANT_OWNED) <= labels


def test_every_api_endpoint_is_scoped_or_says_why():
    assert api_views(), "no API routes found: the walk is broken"
    problems = []
    for route, cls, _ in api_views():
        if cls is None:
            problems.append(f"{route}: a plain function view; use a DRF view that declares its scoping")
        elif getattr(cls, "tenant_scoped", None) is True:
            if not issubclass(cls, TenantScopedMixin):
                problems.append(f"{route}: says tenant_scoped but does not use TenantScopedMixin")
        elif getattr(cls, "tenant_scoped", None) is False:
            if not getattr(cls, "tenant_scope_reason", ""):
                problems.append(f"{route}: opts out of tenant scoping without a tenant_scope_reason")
            model = getattr(getattr(cls, "queryset", None), "model", None)
            if model is not None and any(f.name == "tenant" for f in model._meta.fields):
                problems.append(f"{route}: serves tenant-owned {model._meta.label} without TenantScopedMixin")
        else:
            problems.append(f"{route}: {cls.__name__} neither uses TenantScopedMixin nor opts out with a reason")
    assert not problems, "\n".join(problems)


def test_every_scoped_queryset_filters_by_the_callers_tenant(db):
    tenant = Tenant.objects.create(name="Probe", slug="probe")
    principal = User(id=uuid.uuid4(), email="probe@probe.test", tenant=tenant, role="owner")
    checked = 0
    for route, cls, actions in api_views():
        if cls is None or not issubclass(cls, TenantScopedMixin) or getattr(cls, "queryset", None) is None:
            continue
        request = RequestFactory().get(route)
        request.user = principal
        view = cls(**({"action": "list"} if actions else {}))
        view.request, view.args, view.kwargs, view.format_kwarg = request, (), {}, None
        sql = str(view.get_queryset().query)
        assert f'tenant_id" = {tenant.pk.hex}' in sql.replace("-", "") or str(tenant.pk) in sql, (
            f"{route}: queryset is not filtered by the caller's tenant:\n{sql}"
        )
        checked += 1
    assert checked >= 2

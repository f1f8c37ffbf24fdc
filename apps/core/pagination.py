"""The list envelope of DESIGN.md: {"<plural>": [...], "total", "page", "per_page", "total_pages"}.

Accepts page/per_page (specs 000, 001) and limit/offset (specs 002, 003, 004) on every list; per_page
and limit are capped at MAX_PER_PAGE. The key of the list is the view's `results_key`, else the
model's plural name ("leads", "campaigns"...).
"""

import hashlib
import json
import math
from collections import OrderedDict

from django.conf import settings
from django.core.cache import caches
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from apps.core.exceptions import QueryValidationError

MAX_PER_PAGE = 100


def _int_param(request, name: str, *, minimum: int) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise QueryValidationError({name: [f"'{raw}' is not a whole number."]}) from None
    if value < minimum:
        raise QueryValidationError({name: [f"Must be at least {minimum}."]})
    return value


def with_known_count(queryset, count: int):
    """Mark a queryset whose row count the caller has just counted (a search that collected its
    matching ids), so the list need not count again. The mark holds only while the filters are the
    ones it was made for: a filter added afterwards voids it."""
    queryset.query.known_count = (count, len(queryset.query.where.children))
    return queryset


def _known_count(queryset) -> int | None:
    known = getattr(queryset.query, "known_count", None)
    if known is not None and known[1] == len(queryset.query.where.children):
        return known[0]
    return None


# Recent planner estimates of big lists, kept in this process (Django's local-memory cache, "local"
# in settings) for ESTIMATE_TTL seconds: paging through a big list, or a dashboard polling it, asks
# the planner once. Only estimates are kept, never exact counts. The key is what defines the rows:
# the view, the tenant and every filter parameter. A figure may be ESTIMATE_TTL seconds old (a big
# list that was just emptied still shows it).
ESTIMATE_TTL = 10
_PAGING_PARAMS = {"page", "per_page", "limit", "offset", "ordering", "sort", "sort_by", "order", "format"}


def _estimate_key(key, exact_limit: int) -> str:
    return "list-estimate:" + hashlib.sha256(repr((key, exact_limit)).encode()).hexdigest()


def count_rows(queryset, exact_limit: int | None, *, cache_key=None) -> tuple[int, bool]:
    """(total, is_estimate). Without a limit, an exact COUNT. With one, the planner's estimate is
    asked first (a millisecond): above the limit it is the answer, flagged; otherwise rows are
    counted exactly, reading at most limit+1 of them, and the estimate stands in only if that count
    reaches the limit (the planner guessed low). An exact COUNT over a million leads costs more than the
    page itself; a broad search cannot even stop early (its index hands back every match at once)."""
    known = _known_count(queryset)
    if known is not None:
        return known, False
    if exact_limit is None or queryset.query.is_empty():
        return queryset.count(), False
    cache_key = _estimate_key(cache_key, exact_limit) if cache_key is not None else None
    cached = caches["local"].get(cache_key) if cache_key is not None else None
    if cached is not None:
        return cached, True
    base = queryset.order_by().values("pk")  # the plan's row estimate needs no columns
    plan = json.loads(base.explain(format="json") or "[]")
    estimate = int(plan[0]["Plan"]["Plan Rows"]) if plan else 0
    if estimate <= exact_limit:
        capped = base[: exact_limit + 1].count()
        if capped <= exact_limit:
            return capped, False
        estimate = max(estimate, capped)  # the planner guessed low
    if cache_key is not None:
        caches["local"].set(cache_key, estimate, ESTIMATE_TTL)
    return estimate, True


class StandardPagination(BasePagination):
    max_per_page = MAX_PER_PAGE

    def results_key(self, view) -> str:
        key = getattr(view, "results_key", None)
        if key:
            return key
        queryset = getattr(view, "queryset", None)
        if queryset is not None:
            return str(queryset.model._meta.verbose_name_plural).replace(" ", "_")
        return "results"

    @staticmethod
    def estimate_key(request, view):
        """What decides the rows of this list: the view, the caller's tenant and the filters."""
        tenant_id = getattr(getattr(request, "user", None), "tenant_id", None)
        filters = tuple(sorted((k, tuple(v)) for k, v in request.query_params.lists() if k not in _PAGING_PARAMS))
        return (type(view).__qualname__ if view is not None else "", str(tenant_id), filters)

    def paginate_queryset(self, queryset, request, view=None, *, fetch=list):
        """The page's rows, read by `fetch` (apps.core.rows.fetch_values for wide plain rows)."""
        self.key = self.results_key(view)
        default = settings.REST_FRAMEWORK.get("PAGE_SIZE") or 10
        limit = _int_param(request, "limit", minimum=1)
        offset = _int_param(request, "offset", minimum=0)
        if limit is not None or offset is not None:
            self.per_page = min(limit or default, self.max_per_page)
            self.offset = offset or 0
            self.page = self.offset // self.per_page + 1
            self.style = "offset"
        else:
            self.per_page = min(_int_param(request, "per_page", minimum=1) or default, self.max_per_page)
            self.page = _int_param(request, "page", minimum=1) or 1
            self.offset = (self.page - 1) * self.per_page
            self.style = "page"
        self.total, self.total_is_estimate = count_rows(
            queryset, getattr(view, "exact_count_limit", None), cache_key=self.estimate_key(request, view)
        )
        return fetch(queryset[self.offset : self.offset + self.per_page])

    def get_paginated_response(self, data):
        body = OrderedDict(
            [
                (self.key, data),
                ("total", self.total),
                ("page", self.page),
                ("per_page", self.per_page),
                ("total_pages", math.ceil(self.total / self.per_page) if self.total else 0),
            ]
        )
        if self.total_is_estimate:
            body["total_is_estimate"] = True
        if self.style == "offset":
            body["limit"] = self.per_page
            body["offset"] = self.offset
        return Response(body)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": [getattr(self, "schema_key", "results"), "total", "page", "per_page", "total_pages"],
            "properties": {
                getattr(self, "schema_key", "results"): schema,
                "total": {"type": "integer", "example": 25},
                "page": {"type": "integer", "example": 1},
                "per_page": {"type": "integer", "example": 10},
                "total_pages": {"type": "integer", "example": 3},
                "limit": {"type": "integer", "description": "present when limit/offset was used"},
                "offset": {"type": "integer", "description": "present when limit/offset was used"},
                "total_is_estimate": {"type": "boolean", "description": "present (true) when total is an estimate"},
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name: str, description: str) -> dict:
            return {"name": name, "required": False, "in": "query", "description": description,
                    "schema": {"type": "integer"}}  # fmt: skip

        return [
            param("page", "Page number (1-based)."),
            param("per_page", f"Items per page (default 10, max {MAX_PER_PAGE})."),
            param("limit", f"Alternative to per_page: items to return (max {MAX_PER_PAGE})."),
            param("offset", "Alternative to page: items to skip."),
        ]

"""List filters for agents and agent groups (spec 004's names: status, agent_group_id)."""

import django_filters
from django.db.models import Q

from apps.agents.models import Agent, AgentGroup, AgentKind, Presence
from apps.core.exceptions import QueryValidationError
from apps.core.filters import LeanFilterSet

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class StrictBooleanFilter(django_filters.CharFilter):
    """true/false (or 1/0, yes/no). Anything else is a 400, not silently "no filter"."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        word = value.strip().lower()
        if word not in _TRUE | _FALSE:
            raise QueryValidationError({self.field_name: [f"'{value}' is not true or false."]})
        return qs.filter(**{self.field_name: word in _TRUE})


class AgentFilterSet(LeanFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Presence.choices, help_text="Presence.")
    kind = django_filters.ChoiceFilter(choices=AgentKind.choices)
    is_active = StrictBooleanFilter()
    agent_group_id = django_filters.UUIDFilter(field_name="group_id")
    agent_group = django_filters.CharFilter(field_name="group__name", lookup_expr="iexact", help_text="Group name.")
    user_id = django_filters.UUIDFilter(field_name="user_id")
    search = django_filters.CharFilter(method="filter_search", help_text="Part of the name or email.")
    q = django_filters.CharFilter(method="filter_search", help_text="Same as search.")

    class Meta:
        model = Agent
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        value = (value or "").strip()[:100]
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value)) if value else queryset


class AgentGroupFilterSet(LeanFilterSet):
    is_active = StrictBooleanFilter()
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = AgentGroup
        fields: list[str] = []

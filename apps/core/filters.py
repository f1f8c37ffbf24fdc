"""django-filter backend whose errors point at the query string (loc ["query", name])."""

from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend

from apps.core.exceptions import QueryValidationError


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise QueryValidationError(utils.translate_validation(filterset.errors).detail)
        return filterset.qs

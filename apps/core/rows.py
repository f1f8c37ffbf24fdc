"""Pages of wide rows, fetched lean: the hot lists (a page of 100 leads of 50 columns) render plain
rows, and three costs of Django's own values() path were most of such a request's Python time:
building the select list of every column (~0.5 ms), its row iterator and converters (~0.6 ms), and
Django's timestamptz loader, a Python subclass of psycopg's that cannot use the C one (~3.5 µs a
value, ~0.9 ms a page).

`fetch_values(queryset, fields)` asks Django for the query with just the primary key selected (its
WHERE, ORDER BY, LIMIT: all the filtering stays Django's), puts the wanted columns in the select
list, and reads the rows with psycopg's C timestamptz loader. It gives what
`list(queryset.values(*fields))` gives (apps/leads/tests/test_rows.py holds them side by side); any query it
cannot rewrite (a join, DISTINCT, annotations) simply goes the values() way.
"""

from collections.abc import Sequence
from functools import cache

# SQL here is built from model metadata (table and column names), never from input.
import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import JSONField, QuerySet
from psycopg.types.datetime import TimestamptzLoader  # psycopg swaps in its C version on registration


@cache
def _plan(model, fields: tuple[str, ...]) -> tuple[str, str, tuple[int, ...]]:
    """(the pk-only select Django writes, our select list, positions of JSON columns)."""
    table = model._meta.db_table
    pk_select = f'SELECT "{table}"."{model._meta.pk.column}" AS "pk" FROM "{table}"'
    columns, json_positions = [], []
    for position, name in enumerate(fields):
        field = model._meta.get_field(name)  # a foreign key by its attname too ("campaign_id")
        columns.append(f'"{table}"."{field.column}"')
        if isinstance(field, JSONField):
            json_positions.append(position)
    return pk_select, f'SELECT {", ".join(columns)} FROM "{table}"', tuple(json_positions)


def fetch_values(queryset: QuerySet, fields: Sequence[str]) -> list[dict]:
    fields = tuple(fields)
    pk_select, select, json_positions = _plan(queryset.model, fields)
    connection = connections[queryset.db]
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:  # .none(), or a filter that can match nothing (pk__in=[])
        return []
    if not sql.startswith(pk_select + " ") or connection.timezone_name != "UTC":
        return list(queryset.values(*fields))
    with connection.cursor() as cursor:
        # In a UTC session psycopg's C loader gives the same aware datetimes as Django's.
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(select + sql[len(pk_select) :], params)
        rows = cursor.fetchall()
    if json_positions:  # Django reads jsonb as text and decodes it in the field (from_db_value)
        rows = [list(row) for row in rows]
        for row in rows:
            for position in json_positions:
                if row[position] is not None:
                    row[position] = orjson.loads(row[position])
    return [dict(zip(fields, row, strict=True)) for row in rows]

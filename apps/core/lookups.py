"""`<uuid field>__in_array=[...]`: the field is any of the given UUIDs, sent as one array parameter.

An IN list binds a parameter per value, and Django's cursors bind on the client (each UUID adapted
and quoted in Python): a page of 100 ids found by a search cost a millisecond more than the page
itself. Here the ids travel as one text array literal, '{...}'::uuid[], which PostgreSQL parses."""

import uuid

from django.db.models import Lookup, UUIDField


@UUIDField.register_lookup
class UuidInArray(Lookup):
    lookup_name = "in_array"
    prepare_rhs = False  # a list, not one UUID: checked in get_db_prep_lookup

    def get_db_prep_lookup(self, value, connection):
        # str(UUID(...)) both checks each value and gives the canonical text; nothing else reaches SQL.
        return "%s", ["{" + ",".join(str(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))) for v in value) + "}"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs}::uuid[])", [*lhs_params, *rhs_params]

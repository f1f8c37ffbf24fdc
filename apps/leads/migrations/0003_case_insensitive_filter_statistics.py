"""Statistics on the case-folded columns the list filters compare (city=boston matches "Boston").

The filters compile to UPPER(column) = UPPER(value); without statistics on that expression the
planner assumes 0.5% of rows match, and the list's estimated total (docs/api.md) was off thirtyfold.
Expression statistics (PostgreSQL 14+) cost nothing on write, only a little at ANALYZE."""

from django.db import migrations

COLUMNS = ["source", "city", "state", "country", "niche", "industry"]


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_initial")]

    operations = [
        migrations.RunSQL(
            sql=[
                f'CREATE STATISTICS IF NOT EXISTS lead_upper_{c} ON (UPPER("{c}"::text)) FROM leads_lead'
                for c in COLUMNS
            ]
            + ["ANALYZE leads_lead"],
            reverse_sql=[f"DROP STATISTICS IF EXISTS lead_upper_{c}" for c in COLUMNS],
        )
    ]

"""The search index's pending list grows to 64 MB and is merged by apps.leads.search_index, not by
the writer that fills it. A storage parameter: altered in place, not rebuilt."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_activity_log_without_constraints")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER INDEX lead_search SET (gin_pending_list_limit = 65536)",
                    reverse_sql="ALTER INDEX lead_search SET (gin_pending_list_limit = 16384)",
                )
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="lead", name="lead_search"),
                migrations.AddIndex(
                    model_name="lead",
                    index=GinIndex(
                        fields=["search_document"], name="lead_search", fastupdate=True, gin_pending_list_limit=65536
                    ),
                ),
            ],
        )
    ]

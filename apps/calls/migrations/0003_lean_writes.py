"""Leaner writes for the dialer's claims and the callback ingest: the single-column indexes of calls'
and call events' foreign keys go (composite indexes lead with the same columns), and so do the
database checks of a call's tenant and campaign and of an event's tenant (see the models).

Written by hand on the database side: Django's AlterField(db_index=False) on Call.lead drops every
index on lead_id alone, which includes the partial unique index call_one_live_per_lead (one live call
per lead), so the state changes go through SeparateDatabaseAndState and the database gets exactly
these statements.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0004_agent_tenant_id_key"),
        ("calls", "0002_platform_rules"),
        ("campaigns", "0005_dialer_fields"),
        ("leads", "0007_dialer_queues_consent_subdivision"),
        ("tenants", "0002_telephony_and_quota"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="call",
                    name="agent",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The AI agent that talked, or the human agent who took the call.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="calls",
                        to="agents.agent",
                    ),
                ),
                migrations.AlterField(
                    model_name="call",
                    name="campaign",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="calls",
                        to="campaigns.campaign",
                    ),
                ),
                migrations.AlterField(
                    model_name="call",
                    name="lead",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="calls",
                        to="leads.lead",
                    ),
                ),
                migrations.AlterField(
                    model_name="call",
                    name="tenant",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.tenant",
                    ),
                ),
                migrations.AlterField(
                    model_name="callevent",
                    name="call",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="calls.call",
                    ),
                ),
                migrations.AlterField(
                    model_name="callevent",
                    name="tenant",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.tenant",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[
                        "ALTER TABLE calls_call DROP CONSTRAINT IF EXISTS calls_call_tenant_id_80e018fb_fk_tenants_tenant_id",
                        "ALTER TABLE calls_call DROP CONSTRAINT IF EXISTS calls_call_campaign_id_238afaff_fk_campaigns_campaign_id",
                        "ALTER TABLE calls_callevent DROP CONSTRAINT IF EXISTS calls_callevent_tenant_id_831ac891_fk_tenants_tenant_id",
                        "DROP INDEX IF EXISTS calls_call_tenant_id_80e018fb",
                        "DROP INDEX IF EXISTS calls_call_campaign_id_238afaff",
                        "DROP INDEX IF EXISTS calls_call_lead_id_44a601ba",
                        "DROP INDEX IF EXISTS calls_call_agent_id_bc37e002",
                        "DROP INDEX IF EXISTS calls_callevent_tenant_id_831ac891",
                        "DROP INDEX IF EXISTS calls_callevent_call_id_511c7c00",
                    ],
                    reverse_sql=[
                        "CREATE INDEX calls_call_tenant_id_80e018fb ON calls_call (tenant_id)",
                        "CREATE INDEX calls_call_campaign_id_238afaff ON calls_call (campaign_id)",
                        "CREATE INDEX calls_call_lead_id_44a601ba ON calls_call (lead_id)",
                        "CREATE INDEX calls_call_agent_id_bc37e002 ON calls_call (agent_id)",
                        "CREATE INDEX calls_callevent_tenant_id_831ac891 ON calls_callevent (tenant_id)",
                        "CREATE INDEX calls_callevent_call_id_511c7c00 ON calls_callevent (call_id)",
                        "ALTER TABLE calls_call ADD CONSTRAINT calls_call_tenant_id_80e018fb_fk_tenants_tenant_id "
                        "FOREIGN KEY (tenant_id) REFERENCES tenants_tenant (id) DEFERRABLE INITIALLY DEFERRED",
                        "ALTER TABLE calls_call ADD CONSTRAINT calls_call_campaign_id_238afaff_fk_campaigns_campaign_id "
                        "FOREIGN KEY (campaign_id) REFERENCES campaigns_campaign (id) DEFERRABLE INITIALLY DEFERRED",
                        "ALTER TABLE calls_callevent ADD CONSTRAINT calls_callevent_tenant_id_831ac891_fk_tenants_tenant_id "
                        "FOREIGN KEY (tenant_id) REFERENCES tenants_tenant (id) DEFERRABLE INITIALLY DEFERRED",
                    ],
                ),
            ],
        ),
    ]

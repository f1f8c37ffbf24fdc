"""A lead's campaign and agents belong to its own tenant, at the database: composite foreign keys
(tenant_id, campaign_id) -> campaign (tenant_id, id) and the like replace the plain ones, and the
lead's tenant is checked through them (one check per imported lead instead of two)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0004_agent_tenant_id_key"),
        ("campaigns", "0004_campaign_tenant_id_key"),
        ("leads", "0005_search_index_pending_list"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="lead",
            name="agent",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="The AI agent that calls this lead (spec 000's agent_id).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="leads",
                to="agents.agent",
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="assigned_to",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="The human agent who owns the lead.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="assigned_leads",
                to="agents.agent",
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="campaign",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="leads",
                to="campaigns.campaign",
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="tenant",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenants.tenant",
            ),
        ),
        migrations.RunSQL(
            """
        ALTER TABLE leads_lead ADD CONSTRAINT lead_campaign_same_tenant FOREIGN KEY (tenant_id, campaign_id)
            REFERENCES campaigns_campaign (tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
        ALTER TABLE leads_lead ADD CONSTRAINT lead_agent_same_tenant FOREIGN KEY (tenant_id, agent_id)
            REFERENCES agents_agent (tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
        ALTER TABLE leads_lead ADD CONSTRAINT lead_assignee_same_tenant FOREIGN KEY (tenant_id, assigned_to_id)
            REFERENCES agents_agent (tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
        """,
            reverse_sql="""
        ALTER TABLE leads_lead DROP CONSTRAINT lead_campaign_same_tenant;
        ALTER TABLE leads_lead DROP CONSTRAINT lead_agent_same_tenant;
        ALTER TABLE leads_lead DROP CONSTRAINT lead_assignee_same_tenant;
        """,
        ),
    ]

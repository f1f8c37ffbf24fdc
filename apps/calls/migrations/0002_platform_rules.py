"""The platform's calling rules (apps.calls.seeds): state hours, calls per 24 hours, all-party consent."""

from django.db import migrations


def seed(apps, schema_editor):
    from apps.calls.seeds import platform_rules

    ComplianceRule = apps.get_model("calls", "ComplianceRule")
    for rule in platform_rules():
        ComplianceRule.objects.get_or_create(tenant=None, country=rule["country"], subdivision=rule["subdivision"],
                                             weekday=rule["weekday"], defaults=rule)  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("calls", "ComplianceRule").objects.filter(tenant__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("calls", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

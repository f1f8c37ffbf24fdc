"""Seed the demo: idempotent, safe to run on every `make run`. Later capabilities add their part in
DEMO_SEEDERS (each a function taking the demo tenant)."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from apps.tenants.choices import Role, TenantStatus, Tier
from apps.tenants.models import Tenant, User

DEMO_TENANT_SLUG = "demo"
DEMO_OWNER_EMAIL = "demo@leadvoice.dev"
DEMO_OWNER_PASSWORD = "leadvoice-demo"  # noqa: S105 - documented demo credential
OPS_EMAIL = "ops@leadvoice.dev"
OPS_PASSWORD = "leadvoice-ops"  # noqa: S105 - documented demo credential

# Each app that has demo data adds "apps.<app>.demo.seed" here.
DEMO_SEEDERS: list[str] = ["apps.leads.demo.seed", "apps.campaigns.demo.seed", "apps.calls.demo.seed",
                            "apps.realtime.demo.seed"]  # fmt: skip


class Command(BaseCommand):
    help = "Create or complete the demo tenant (Demo, demo@leadvoice.dev / leadvoice-demo). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        tenant, created = Tenant.objects.get_or_create(
            slug=DEMO_TENANT_SLUG,
            defaults={
                "name": "Demo", "tier": Tier.GROWTH, "status": TenantStatus.ACTIVE,
                "default_country": "US", "default_timezone": "America/New_York",
            },
        )  # fmt: skip
        if not User.objects.filter(email__iexact=DEMO_OWNER_EMAIL).exists():
            User.objects.create_user(
                email=DEMO_OWNER_EMAIL, password=DEMO_OWNER_PASSWORD, tenant=tenant, role=Role.OWNER,
                is_staff=True, first_name="Demo", last_name="Owner",
            )  # fmt: skip
        if not User.objects.filter(email__iexact=OPS_EMAIL).exists():
            User.objects.create_superuser(
                email=OPS_EMAIL, password=OPS_PASSWORD, first_name="Platform", last_name="Ops"
            )
        for dotted in DEMO_SEEDERS:
            import_string(dotted)(tenant)
        verb = "Created" if created else "Checked"
        self.stdout.write(f"{verb} demo tenant '{tenant.name}': sign in as {DEMO_OWNER_EMAIL} / {DEMO_OWNER_PASSWORD}")

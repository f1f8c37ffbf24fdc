"""Enumerations of the tenants app, with the groups the permission code reads."""

from django.db import models


class Tier(models.TextChoices):
    FREE = "free", "Free"
    STARTER = "starter", "Starter"
    GROWTH = "growth", "Growth"
    ENTERPRISE = "enterprise", "Enterprise"


class TenantStatus(models.TextChoices):
    TRIAL = "trial", "Trial"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    AGENT = "agent", "Agent"


# Higher ranks may do everything lower ranks may; a user may only grant roles at or below their own.
ROLE_RANK = {Role.OWNER: 40, Role.ADMIN: 30, Role.MANAGER: 20, Role.AGENT: 10}
# May sign in to the Django admin (the back office).
STAFF_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})
# May manage users, invitations and API keys.
ACCESS_ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
# May manage campaigns, imports, agents and the do-not-call list.
OPERATOR_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write (manager rights)"
    ADMIN = "admin", "Full (admin rights)"


# The role an API key acts with; READ keys are further limited to safe methods.
SCOPE_ROLE = {ApiKeyScope.READ: Role.MANAGER, ApiKeyScope.WRITE: Role.MANAGER, ApiKeyScope.ADMIN: Role.ADMIN}

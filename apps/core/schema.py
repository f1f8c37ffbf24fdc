"""OpenAPI generation tweaks (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    def _get_paginator(self):
        paginator = super()._get_paginator()
        if paginator is not None and hasattr(paginator, "results_key"):
            # The list key differs per view ("leads", "users"...): let the schema name it.
            paginator.schema_key = paginator.results_key(self.view)
        return paginator


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenants.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}


class TenantJWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenants.authentication.TenantJWTAuthentication"
    name = "BearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

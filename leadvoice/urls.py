"""Top-level routes: admin, the versioned API, its schema and docs, provider webhooks, the agent console
and supervisor pages, health probes."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from apps.core import health

admin.site.site_header = "LeadVoice back office"
admin.site.site_title = "LeadVoice"
admin.site.index_title = "Leads, campaigns, calls"

api_v1 = [
    path("", include("apps.tenants.api.urls")),
    path("", include("apps.leads.api.urls")),
    path("", include("apps.campaigns.api.urls")),
    path("", include("apps.agents.api.urls")),
    path("", include("apps.calls.api.urls")),
    path("", include("apps.voice.api.urls")),
    path("", include("apps.scoring.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("webhooks/", include("apps.calls.urls")),
    path("", include("apps.realtime.urls")),  # /console/ and /supervisor/
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    re_path(r"^health/?$", health.health, name="health"),
    re_path(r"^health/live/?$", health.live, name="health-live"),
    re_path(r"^health/ready/?$", health.ready, name="health-ready"),
]

handler400 = "apps.core.exceptions.handler400"
handler403 = "apps.core.exceptions.handler403"
handler404 = "apps.core.exceptions.handler404"
handler500 = "apps.core.exceptions.handler500"

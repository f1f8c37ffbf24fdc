"""The people's pages: the agent console and the supervisors' live view (apps.realtime.views)."""

from django.urls import path

from apps.realtime import views

app_name = "realtime"

urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/login/", views.ConsoleLoginView.as_view(), name="login"),
    path("console/logout/", views.ConsoleLogoutView.as_view(), name="logout"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("supervisor/campaigns/", views.supervisor_campaigns, name="supervisor-campaigns"),
]

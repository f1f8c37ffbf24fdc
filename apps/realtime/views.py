"""The people's pages: the agent console (/console/) and the supervisors' live view (/supervisor/).

Django renders the shell and a JSON config; the browser does the rest with plain JS, over the REST
API and the WebSockets, signed in by the Django session (DRF's SessionAuthentication, with the CSRF
token for writes; the sockets read the same session cookie). Nothing here writes: presence, hang-up,
dispositions and monitoring are the API's. The one read of our own is the campaigns' live counters
in the very shape the campaign:stats event carries, so the page's first paint and its live updates
go through one renderer."""

from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET
from rest_framework.throttling import ScopedRateThrottle

from apps.agents.models import Agent, AgentKind
from apps.campaigns.models import Campaign, CampaignStatus
from apps.core.serializers import iso
from apps.realtime.stats import campaign_stats
from apps.tenants.choices import STAFF_ROLES

LOGIN_URL = reverse_lazy("realtime:login")
TWILIO_SDK = "vendor/twilio-voice-sdk/twilio.min.js"
# The campaigns the supervisor page shows: the ones dialing, and the ones a manager may resume.
WATCHED_CAMPAIGNS = (CampaignStatus.ACTIVE, CampaignStatus.PAUSED)
MAX_CAMPAIGNS = 50


class ConsoleAuthenticationForm(AuthenticationForm):
    """Email and password; refuses accounts without a tenant (platform staff use the admin) and the
    people of a suspended tenant, before the session is made."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.tenant_id is None:
            raise forms.ValidationError("This account belongs to no tenant: platform staff use the admin.",
                                        code="no_tenant")  # fmt: skip
        if user.tenant.is_suspended:
            raise forms.ValidationError("Your organisation's account is suspended.", code="tenant_suspended")


class ConsoleLoginView(auth_views.LoginView):
    """The console's sign-in, throttled with the API's login (the same "auth" rate and bucket)."""

    template_name = "console/login.html"
    form_class = ConsoleAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        throttle = ScopedRateThrottle()
        if not throttle.allow_request(request, SimpleNamespace(throttle_scope="auth")):
            form = self.get_form()
            form.add_error(None, f"Too many sign-in attempts: try again in {int(throttle.wait() or 60)} s.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        return reverse("realtime:console")


class ConsoleLogoutView(auth_views.LogoutView):
    next_page = LOGIN_URL


def _refusal(request: HttpRequest, *, staff_only: bool = False) -> HttpResponse | None:
    """A 403 page for a user the page is not for (no tenant, a suspended tenant, a role below)."""
    user = request.user
    if user.tenant_id is None:
        reason = "This page is for the people of a tenant; platform staff use the admin."
    elif user.tenant.is_suspended:
        reason = "Your organisation's account is suspended."
    elif staff_only and user.role not in STAFF_ROLES:
        reason = "The supervisor view is for owners, admins and managers."
    else:
        return None
    return render(request, "console/forbidden.html", {"reason": reason}, status=403)


def _own_agent(user) -> Agent | None:
    return Agent.objects.for_tenant(user.tenant_id).filter(user_id=user.pk, kind=AgentKind.HUMAN,
                                                           is_active=True).order_by("created_at").first()  # fmt: skip


def _page_config(request: HttpRequest, *, socket: str, **urls: str) -> dict:
    """What every page's script starts from."""
    user, tenant = request.user, request.user.tenant
    today = timezone.now().astimezone(ZoneInfo(tenant.default_timezone or "UTC")).date()
    return {
        "user": {"id": str(user.pk), "name": user.get_full_name() or user.email, "email": user.email,
                 "role": user.role},
        "tenant": {"id": str(tenant.pk), "name": tenant.name, "timezone": tenant.default_timezone},
        "today": today.isoformat(),
        "urls": {"api": "/api/v1/", "socket": socket, "login": str(LOGIN_URL), "console": reverse("realtime:console"),
                 "supervisor": reverse("realtime:supervisor"), **urls},
    }  # fmt: skip


def _agent_config(agent: Agent | None) -> dict | None:
    if agent is None:
        return None
    return {"id": str(agent.pk), "name": agent.name, "status": agent.status,
            "statusChangedAt": iso(agent.status_changed_at)}  # fmt: skip


@login_required(login_url=LOGIN_URL)
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    """The agent's console: presence, the screen pop, the call's controls, the disposition, today's figures."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    agent = _own_agent(request.user)
    config = {
        **_page_config(request, socket="/ws/agent/"),
        "agent": _agent_config(agent),
        "isStaff": request.user.role in STAFF_ROLES,
        "twilioSdk": static(TWILIO_SDK),
    }
    return render(request, "console/console.html", {"config": config, "agent": agent})


@login_required(login_url=LOGIN_URL)
@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    """The managers' live view: campaigns' counters, agents' presence, calls in progress, monitoring."""
    refusal = _refusal(request, staff_only=True)
    if refusal is not None:
        return refusal
    config = {
        **_page_config(request, socket="/ws/dashboard/", campaigns=reverse("realtime:supervisor-campaigns")),
        "supervisorAgent": _agent_config(_own_agent(request.user)),
    }
    return render(request, "supervisor/supervisor.html", {"config": config})


@login_required(login_url=LOGIN_URL)
@require_GET
def supervisor_campaigns(request: HttpRequest) -> HttpResponse:
    """The live counters of the tenant's active and paused campaigns, as campaign:stats sends them."""
    if _refusal(request, staff_only=True) is not None:
        return JsonResponse({"detail": "Managers and up only.", "code": "ROLE_FORBIDDEN"}, status=403)
    campaigns = (
        Campaign.objects.for_tenant(request.user.tenant_id).filter(status__in=WATCHED_CAMPAIGNS)
        .order_by("status", "name")[:MAX_CAMPAIGNS]
    )  # fmt: skip
    return JsonResponse({"campaigns": [campaign_stats(c) for c in campaigns], "at": iso(timezone.now())})

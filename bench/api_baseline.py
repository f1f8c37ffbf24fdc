"""Baseline: in-process latency of the foundation endpoints (no network, real PostgreSQL and Redis).

It is the floor every later API figure stands on: the cost of Django + DRF + auth + one query."""

from django.test import Client

from bench.harness import time_calls

NAME = "api_baseline"


def run(*, quick: bool) -> dict:
    from django.core.management import call_command

    from apps.tenants.models import User

    call_command("seed_demo", verbosity=0)
    n = 100 if quick else 500
    client = Client()
    login = client.post(
        "/api/v1/auth/login/", {"email": "demo@leadvoice.dev", "password": "leadvoice-demo"},
        content_type="application/json",
    ).json()  # fmt: skip
    auth = {"HTTP_AUTHORIZATION": f"Bearer {login['access_token']}"}
    figures = {
        "health_live": time_calls(lambda: client.get("/health/live"), n=n),
        "health_ready": time_calls(lambda: client.get("/health/ready"), n=n),
        "auth_me_jwt": time_calls(lambda: client.get("/api/v1/auth/me/", **auth), n=n),
        "users_list_jwt": time_calls(lambda: client.get("/api/v1/users/?per_page=50", **auth), n=n),
    }
    # Argon2 is slow on purpose; report what one sign-in costs.
    figures["login_argon2"] = time_calls(
        lambda: client.post(
            "/api/v1/auth/login/", {"email": "demo@leadvoice.dev", "password": "leadvoice-demo"},
            content_type="application/json",
        ),
        n=max(20, n // 10), warmup=2,
    )  # fmt: skip
    figures["users"] = User.objects.count()
    return figures

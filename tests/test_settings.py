"""Production settings: fail fast without secrets, and `check --deploy` has nothing to say."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "leadvoice.settings.production",
    "DJANGO_SECRET_KEY": "kR4v-9Zq!m2Lw8@pXc7Ny3#Ht6Bj1&Gd5Fs0^Ua-Qe7Wo2Ti9Ml4Ck8Vh3",
    "DJANGO_ALLOWED_HOSTS": "leadvoice.example.com",
    "DATABASE_URL": "postgres://leadvoice@db.internal:5432/leadvoice",
    "REDIS_URL": "redis://redis.internal:6379/0",
}


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env={**clean, **env}, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_check_deploy_is_clean_in_production_mode():
    result = _manage(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_boot_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_passwords_are_hashed_with_argon2_outside_tests():
    from leadvoice.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.PASSWORD_HASHERS != base.PASSWORD_HASHERS  # the test settings trade strength for speed


def test_the_test_suite_runs_on_postgresql_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"

"""`manage.py check --deploy` is clean with production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "tracker.example",
    }
    # Browser tests let Playwright's loop share the ORM; that must not leak into this check.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "False", result.stderr


def _settings_value(env_overrides: dict, expression: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            f"from django.conf import settings; print({expression})",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_misspelt_yes_no_value_stops_the_start_and_names_the_variable():
    result = _settings_value({"DEBUG": "ture"}, "settings.DEBUG")
    assert result.returncode != 0
    assert "DEBUG='ture' is not a yes/no value" in result.stderr


def test_a_number_that_is_not_one_stops_the_start():
    result = _settings_value({"DNS_TIMEOUT": "2s"}, "settings.DNS_TIMEOUT")
    assert result.returncode != 0
    assert "DNS_TIMEOUT='2s' is not a number" in result.stderr


def test_site_url_comes_from_the_environment_without_a_trailing_slash():
    result = _settings_value({"SITE_URL": "https://tracker.example/"}, "settings.SITE_URL")
    assert result.stdout.strip() == "https://tracker.example", result.stderr


@pytest.mark.parametrize(
    "command",
    [["check", "--deploy"], ["makemigrations", "--check", "--dry-run"]],
    ids=["check", "makemigrations"],  # Django used to hide the reason from makemigrations
)
def test_production_refuses_to_start_without_a_secret_key(command):
    # A newcomer's shell: nothing set but the path (no database, broker or allowed hosts either).
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "DEBUG": "false"}
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set: production (DEBUG=false) needs one" in result.stderr


def test_a_development_run_with_debug_on_makes_its_own_key():
    result = _settings_value({"DEBUG": "true", "SECRET_KEY": ""}, "len(settings.SECRET_KEY) > 40")
    assert result.stdout.strip() == "True", result.stderr

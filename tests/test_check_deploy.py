"""`manage.py check --deploy` with the production settings and a production-like environment."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_with_prod_settings_reports_no_issue():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tiktickets.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "CREDENTIALS_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "TIKTICKETS_BASE_DOMAIN": "helpdesk.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_prod_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SECRET_KEY")}
    env["DJANGO_SETTINGS_MODULE"] = "tiktickets.settings.prod"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_prod_settings_refuse_to_start_without_a_credentials_encryption_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDENTIALS_ENCRYPTION_KEY")}
    env["DJANGO_SETTINGS_MODULE"] = "tiktickets.settings.prod"
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "CREDENTIALS_ENCRYPTION_KEY is required" in result.stderr

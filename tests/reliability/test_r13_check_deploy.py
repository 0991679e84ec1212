"""R13: Django's deployment checklist on the production settings, 0 warnings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def test_r13_check_deploy_reports_nothing(report_figure) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tiktickets.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "CREDENTIALS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    report_figure("R13: manage.py check --deploy on production settings: 0 issues, 0 silenced")

"""docs/integrations.md shows the event catalogue the code uses."""

from pathlib import Path

from django.conf import settings

from integrations.webhook_events import catalogue_markdown


def test_the_documented_event_catalogue_is_the_codes():
    text = Path(settings.BASE_DIR, "docs", "integrations.md").read_text()
    documented = text.split("<!-- catalogue -->", 1)[1].split("<!-- /catalogue -->", 1)[0]

    assert documented.strip() == catalogue_markdown()

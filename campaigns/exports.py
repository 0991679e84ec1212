"""The campaign report as CSV: one line per recipient, cells safe for spreadsheets."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.selectors import campaign_recipients
from contacts.csv_io import csv_lines


def campaign_report_lines(*, campaign: Campaign) -> Iterator[str]:
    header = [
        _("Name"),
        _("Phone"),
        _("Status"),
        _("Message"),
        _("Sent at"),
        _("Replied at"),
        _("Error"),
    ]
    rows = (
        [
            row.contact.name,
            row.contact.phone,
            row.get_state_display(),
            str(row.variant + 1),
            row.sent_at.isoformat() if row.sent_at else "",
            row.replied_at.isoformat() if row.replied_at else "",
            row.error_detail or row.error_code,
        ]
        for row in campaign_recipients(campaign=campaign).iterator(chunk_size=2000)
    )
    return csv_lines(rows, header=header)

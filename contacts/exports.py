"""The contacts CSV export: the contacts a user may see, streamed as CSV lines.

Two shapes: *localized* for spreadsheets (headers in the reader's language, the list separator
Excel expects for it: ";" where the decimal mark is ",", yes/no and decimals written as that
language writes them) and *plain* (English keys as headers, ",", "true"/"false" and "." decimals)
for programs. Both read back through the import unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.formats import get_format

from accounts.models import User
from audit.services import audit_record
from contacts.csv_io import COLUMN_LABELS, EXPORT_COLUMNS, csv_lines
from contacts.models import ContactAttributeDefinition
from contacts.selectors import contacts_for_export
from contacts.services.attributes import contact_attribute_value_as_text
from tenants.tenancy import current_tenant, tenant_scope

PLAIN_LANGUAGE = "en"


def contact_export_lines(*, user: User, localized: bool, bom: bool = True) -> Iterator[str]:
    """The export's lines for ``user`` in the active language (``localized``) or plain.

    The body is produced after the view returns, possibly on another thread (ASGI), so the
    generator enters the tenant's schema and the language itself.
    """
    tenant = current_tenant()
    language = translation.get_language() if localized else PLAIN_LANGUAGE
    audit_record("contact.exported", actor=user, extra={"localized": localized})

    def lines() -> Iterator[str]:
        with tenant_scope(tenant), translation.override(language):
            zone = ZoneInfo(tenant.time_zone)
            definitions = list(ContactAttributeDefinition.objects.order_by("label", "id"))
            fixed = [column for column in EXPORT_COLUMNS if column != "created_at"]
            if localized:
                header = [str(COLUMN_LABELS[column]) for column in fixed]
                header += [definition.label for definition in definitions]
                header.append(str(COLUMN_LABELS["created_at"]))
                delimiter = ";" if get_format("DECIMAL_SEPARATOR") == "," else ","
            else:
                header = [*fixed, *(definition.key for definition in definitions), "created_at"]
                delimiter = ","

            def rows() -> Iterator[list[str]]:
                for contact in contacts_for_export(user=user).iterator(chunk_size=500):
                    values = contact.custom_attributes
                    yield [
                        contact.name,
                        contact.phone,
                        contact.email,
                        ", ".join(tag.name for tag in contact.tags.all()),
                        ", ".join(owner.email for owner in contact.owners.all()),
                        *(
                            contact_attribute_value_as_text(d, values[d.key])
                            if d.key in values
                            else ""
                            for d in definitions
                        ),
                        timezone.localtime(contact.created_at, zone).isoformat(timespec="seconds"),
                    ]

            yield from csv_lines(rows(), header=header, delimiter=delimiter, bom=bom)

    return lines()


def contact_export_response(lines: Iterator[str]) -> StreamingHttpResponse:
    """The export as a download, streamed to the client and never stored or cached."""
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contacts-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response

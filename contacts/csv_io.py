"""CSV in and out for contacts: reading an uploaded address book, writing an export.

Pure functions over text (no database), so the import service and the export stay short.
Row numbers are those a spreadsheet shows: the header is row 1, the first contact row 2.

Headers are read in English or pt-BR, with or without accents or case, and by the exact names
an export writes (plain keys such as ``phone``, or the localized labels such as "Telefone").
Custom attribute columns are recognised by the attribute's key or its label.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.errors import ImportFileInvalid

# Header names accepted in pt-BR and English, compared without case or accents.
HEADER_ALIASES: dict[str, str] = {
    "nome": "name",
    "name": "name",
    "telefone": "phone",
    "numero": "phone",
    "celular": "phone",
    "whatsapp": "phone",
    "phone": "phone",
    "phone number": "phone",
    "email": "email",
    "e-mail": "email",
    "tags": "tags",
    "tag": "tags",
    "etiquetas": "tags",
    "etiqueta": "tags",
    "owners": "owners",
    "owner": "owners",
    "responsaveis": "owners",
    "responsavel": "owners",
    "carteira": "owners",
    # Written by the export, never imported: recognised so it is not reported as unknown.
    "created_at": "created_at",
    "created at": "created_at",
    "criado em": "created_at",
}
REQUIRED_COLUMNS = ("name", "phone")
EXPORT_COLUMNS = ("name", "phone", "email", "tags", "owners", "created_at")
# What a person reads for each column: the localized export's headers and the import report.
COLUMN_LABELS: dict[str, Promise] = {
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "tags": gettext_lazy("Tags"),
    "owners": gettext_lazy("Owners"),
    "created_at": gettext_lazy("Created at"),
}
# Tags and owners share one cell, separated by commas (the export writes ", ").
LIST_SEPARATOR = ","
ATTRIBUTE_PREFIX = "custom_attributes."

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")


@dataclass(frozen=True)
class CsvRow:
    """One contact row of an uploaded file, cells stripped (missing cells are "")."""

    number: int
    name: str
    phone: str
    email: str
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    # Raw cells of the custom attribute columns by attribute key (empty cells left out).
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CsvContent:
    """A decoded, checked upload: the delimiter, the column of each field, and its data rows.

    ``columns`` maps a field ("name", ..., or "custom_attributes.<key>") to its column index;
    ``ignored`` lists the headers that name nothing we import.
    """

    delimiter: str
    columns: dict[str, int]
    rows: list[CsvRow]
    headers: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def header_key(cell: str) -> str:
    """A header cell folded for comparison: no case, no accents, no surrounding spaces."""
    folded = unicodedata.normalize("NFKD", cell.strip().lower())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def csv_decode(data: bytes) -> str:
    """The text of an upload: UTF-8, with or without a byte order mark."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileInvalid(_("The file must be a CSV encoded in UTF-8.")) from exc
    if "\x00" in text:
        raise ImportFileInvalid(_("The file must be a CSV encoded in UTF-8."))
    return text


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def split_list(cell: str) -> tuple[str, ...]:
    """The items of a tags or owners cell, stripped, empty ones and repeats left out."""
    items: list[str] = []
    seen: set[str] = set()
    for item in cell.split(LIST_SEPARATOR):
        item = item.strip()
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            items.append(item)
    return tuple(items)


def _columns(
    headings: list[str], attribute_headers: Mapping[str, str]
) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, heading in enumerate(headings):
        key = header_key(heading)
        name = HEADER_ALIASES.get(key)
        if name is None and key in attribute_headers:
            name = ATTRIBUTE_PREFIX + attribute_headers[key]
        if name is None:
            if heading.strip():
                ignored.append(heading.strip())
            continue
        if name in columns:
            raise ImportFileInvalid(
                _("The header has more than one %(field)s column.") % {"field": heading.strip()}
            )
        columns[name] = index
    return columns, ignored


def csv_parse(text: str, *, attribute_headers: Mapping[str, str] | None = None) -> CsvContent:
    """Check the header and read every row; ``ImportFileInvalid`` names what is wrong.

    ``attribute_headers`` maps folded header names (see ``header_key``) to custom attribute
    keys; those columns are read into ``CsvRow.attributes``.
    """
    header_line = text.split("\n", 1)[0]
    delimiter = _delimiter(header_line)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileInvalid(_("The file is not a valid CSV.")) from exc
    if not records:
        raise ImportFileInvalid(_("The file is empty."))
    columns, ignored = _columns(records[0], attribute_headers or {})
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ImportFileInvalid(
            _("The header needs a name (nome) and a phone (telefone) column."),
            extra={"missing_columns": missing},
        )
    attribute_columns = {
        name.removeprefix(ATTRIBUTE_PREFIX): index
        for name, index in columns.items()
        if name.startswith(ATTRIBUTE_PREFIX)
    }

    def cell(record: list[str], index: int | None) -> str:
        if index is None or index >= len(record):
            return ""
        return record[index].strip()

    rows = []
    for position, record in enumerate(records[1:], start=2):
        # A line with no cells at all is layout, not a contact.
        if not any(value.strip() for value in record):
            continue
        attributes = {
            key: value for key, index in attribute_columns.items() if (value := cell(record, index))
        }
        rows.append(
            CsvRow(
                number=position,
                name=cell(record, columns["name"]),
                phone=cell(record, columns["phone"]),
                email=cell(record, columns.get("email")),
                tags=split_list(cell(record, columns.get("tags"))),
                owners=split_list(cell(record, columns.get("owners"))),
                attributes=attributes,
            )
        )
    if not rows:
        raise ImportFileInvalid(_("The file has no contact rows."))
    return CsvContent(
        delimiter=delimiter, columns=columns, rows=rows, headers=records[0], ignored=ignored
    )


def csv_safe_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula ("+55…" phone numbers stay as they are)."""
    if value.startswith(_FORMULA_START) and not _PHONE_LIKE.match(value):
        return "'" + value
    return value


class _Line:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    rows: Iterable[Iterable[str]],
    *,
    header: Iterable[str] = EXPORT_COLUMNS,
    delimiter: str = ",",
    bom: bool = True,
) -> Iterator[str]:
    """The CSV lines of ``rows`` (each cell made safe) after the header; the byte order mark
    first when ``bom`` (Excel then reads the file as UTF-8)."""
    writer = csv.writer(_Line(), delimiter=delimiter)
    yield ("\ufeff" if bom else "") + str(writer.writerow(list(header)))
    for row in rows:
        yield str(writer.writerow([csv_safe_cell(value) for value in row]))

"""CSV in and out for contacts: reading an uploaded address book, writing an export.

Pure functions over text (no database), so the import service and the export view stay short.
Row numbers are those a spreadsheet shows: the header is row 1, the first contact row 2.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

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
}
REQUIRED_COLUMNS = ("name", "phone")
EXPORT_COLUMNS = ("name", "phone", "email", "tags", "owners", "created_at")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")


@dataclass(frozen=True)
class CsvRow:
    """One contact row of an uploaded file, cells stripped (missing cells are "")."""

    number: int
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class CsvContent:
    """A decoded, checked upload: the delimiter, the column of each field, and its data rows."""

    delimiter: str
    columns: dict[str, int]
    rows: list[CsvRow]


def _header_key(cell: str) -> str:
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


def csv_parse(text: str) -> CsvContent:
    """Check the header and read every row; ``ImportFileInvalid`` names what is wrong."""
    header_line = text.split("\n", 1)[0]
    delimiter = _delimiter(header_line)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileInvalid(_("The file is not a valid CSV.")) from exc
    if not records:
        raise ImportFileInvalid(_("The file is empty."))
    columns: dict[str, int] = {}
    for index, heading in enumerate(records[0]):
        field = HEADER_ALIASES.get(_header_key(heading))
        if field is None:
            continue
        if field in columns:
            raise ImportFileInvalid(
                _("The header has more than one %(field)s column.") % {"field": field}
            )
        columns[field] = index
    missing = [field for field in REQUIRED_COLUMNS if field not in columns]
    if missing:
        raise ImportFileInvalid(
            _("The header needs a name (nome) and a phone (telefone) column."),
            extra={"missing_columns": missing},
        )

    def cell(record: list[str], field: str) -> str:
        index = columns.get(field)
        if index is None or index >= len(record):
            return ""
        return record[index].strip()

    rows = [
        CsvRow(
            number=position,
            name=cell(record, "name"),
            phone=cell(record, "phone"),
            email=cell(record, "email"),
        )
        for position, record in enumerate(records[1:], start=2)
        # A line with no cells at all is layout, not a contact.
        if any(value.strip() for value in record)
    ]
    if not rows:
        raise ImportFileInvalid(_("The file has no contact rows."))
    return CsvContent(delimiter=delimiter, columns=columns, rows=rows)


def csv_safe_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula ("+55…" phone numbers stay as they are)."""
    if value.startswith(_FORMULA_START) and not _PHONE_LIKE.match(value):
        return "'" + value
    return value


class _Line:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[str]]) -> Iterator[str]:
    """The CSV lines of ``rows`` (each cell made safe), preceded by a BOM and the header."""
    writer = csv.writer(_Line())
    yield "\ufeff" + str(writer.writerow(EXPORT_COLUMNS))
    for row in rows:
        yield str(writer.writerow([csv_safe_cell(value) for value in row]))

"""The pt-BR catalogue is complete, keeps its placeholders, is compiled, and the API speaks it.

The catalogue is read with a small PO parser (no gettext tools needed: the image has none, the
compiled ``.mo`` is committed). A failure lists the msgids to fix; after adding strings, run
``make messages`` (makemessages + compilemessages) and translate what it reports.
"""

from __future__ import annotations

import ast
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from accounts.tests.factories import UserFactory
from conftest import sign_in_api
from tenants.tenancy import tenant_scope

PO_PATH = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# printf style (%(name)s, %(count)d, %s, %%), checked on entries xgettext flagged python-format;
# str.format style ({name}, {0}, {}), checked everywhere (braces do not occur in plain prose).
_PRINTF = re.compile(r"%(?:\([^)]+\))?[#0\-+]*\d*(?:\.\d+)?[a-zA-Z%]")
_BRACES = re.compile(r"\{[^{}\s]*\}")
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def plural(self) -> str | None:
        return self.fields.get("msgid_plural")

    @property
    def context(self) -> str | None:
        return self.fields.get("msgctxt")

    @property
    def translations(self) -> list[str]:
        return [value for key, value in sorted(self.fields.items()) if key.startswith("msgstr")]

    def label(self) -> str:
        prefix = f"[{self.context}] " if self.context is not None else ""
        return f"line {self.line}: {prefix}{self.msgid!r}"


def _unquote(literal: str) -> str:
    # A PO string literal uses C escapes, which Python's string literal syntax covers.
    value = ast.literal_eval(literal)
    assert isinstance(value, str)
    return value


def parse_po(path: Path) -> list[Entry]:
    """Active entries of a PO file (obsolete ``#~`` entries and the header are left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    key: str | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            current, key = None, None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            if match.group(1) == "msgid":
                current.line = number
            key = match.group(1)
            current.fields[key] = _unquote(match.group(2))
        elif line.startswith('"') and key is not None:
            current.fields[key] += _unquote(line)
        else:
            raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    return [entry for entry in entries if "msgid" in entry.fields and entry.msgid != ""]


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    entries = parse_po(PO_PATH)
    assert len(entries) > 300, "the pt-BR catalogue looks truncated"
    return entries


def test_every_entry_is_translated(catalogue):
    missing = [entry.label() for entry in catalogue if not all(entry.translations)]
    assert not missing, (
        f"{len(missing)} untranslated entries in {PO_PATH.name}; translate them:\n"
        + "\n".join(missing)
    )


def test_no_entry_is_left_fuzzy(catalogue):
    fuzzy = [entry.label() for entry in catalogue if "fuzzy" in entry.flags]
    assert not fuzzy, (
        f"{len(fuzzy)} fuzzy entries in {PO_PATH.name}; review each translation, then drop "
        "the fuzzy flag:\n" + "\n".join(fuzzy)
    )


def _placeholders(text: str, printf: bool) -> list[str]:
    found = _BRACES.findall(text) + (_PRINTF.findall(text) if printf else [])
    return sorted(found)


def test_translations_keep_the_placeholders_of_the_source(catalogue):
    wrong = []
    for entry in catalogue:
        printf = "python-format" in entry.flags
        expected = _placeholders(entry.msgid, printf)
        for translated in entry.translations:
            if translated and _placeholders(translated, printf) != expected:
                wrong.append(f"{entry.label()} -> {translated!r}")
    assert not wrong, "translations whose placeholders differ from the msgid:\n" + "\n".join(wrong)


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    """The committed .mo is what production loads: it must be compiled from this .po."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages"
    stale = []
    with translation.override("pt-br"):
        for entry in catalogue:
            if not all(entry.translations):
                continue  # reported by test_every_entry_is_translated
            if entry.plural is not None:
                got = [
                    translation.npgettext(entry.context, entry.msgid, entry.plural, n)
                    if entry.context is not None
                    else translation.ngettext(entry.msgid, entry.plural, n)
                    for n in (1, 2)
                ]
                want = [entry.fields["msgstr[0]"], entry.fields["msgstr[1]"]]
            else:
                got = [
                    translation.pgettext(entry.context, entry.msgid)
                    if entry.context is not None
                    else translation.gettext(entry.msgid)
                ]
                want = [entry.fields["msgstr"]]
            if got != want:
                stale.append(f"{entry.label()}: compiled {got!r}, .po says {want!r}")
    assert not stale, "the .mo is out of date with the .po (run compilemessages):\n" + "\n".join(
        stale
    )


def test_the_parser_reads_flags_contexts_plurals_and_continuations(tmp_path):
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: pt_BR\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid "Hi %(name)s"\nmsgstr "Oi %(name)s"\n\n'
        'msgctxt "menu"\nmsgid ""\n"Open \\"it\\""\nmsgstr ""\n\n'
        'msgid "one file"\nmsgid_plural "%(n)s files"\nmsgstr[0] "um arquivo"\nmsgstr[1] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr "sumiu"\n',
        encoding="utf-8",
    )

    fuzzy, with_context, plural = parse_po(po)

    assert fuzzy.flags == {"fuzzy", "python-format"}
    assert fuzzy.translations == ["Oi %(name)s"]
    assert (with_context.context, with_context.msgid) == ("menu", 'Open "it"')
    assert with_context.translations == [""]
    assert plural.plural == "%(n)s files"
    assert plural.translations == ["um arquivo", ""]


# -- the API answers in the tenant's language ---------------------------------------------------


@pytest.fixture
def alpha_pt_beta_en(alpha, beta):
    """alpha speaks pt-BR, beta English; users keep the tenant's default language."""
    alpha.tenant.language = "pt-br"
    alpha.tenant.save(update_fields=["language"])
    beta.tenant.language = "en"
    beta.tenant.save(update_fields=["language"])
    return alpha, beta


def _sign_in(api, fixture, language=""):
    with tenant_scope(fixture.tenant):
        user = UserFactory(language=language)
    sign_in_api(api, user.email)


def _message(response, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    return body["message"]


def test_api_errors_come_out_in_pt_br_for_a_pt_br_tenant_and_in_english_for_another(
    alpha_pt_beta_en, api_alpha, api_beta
):
    def errors(api):
        bad_login = api.post(
            "/api/v1/auth/token/",
            {"email": "nobody@example.com", "password": "wrong-password"},
            format="json",
        )
        missing_fields = api.post("/api/v1/auth/token/", {}, format="json")
        unknown_url = api.get("/api/v1/does-not-exist/")
        return (
            _message(bad_login, 401, "invalid_credentials"),
            _message(missing_fields, 400, "validation_error"),
            _message(unknown_url, 404, "not_found"),
        )

    assert errors(api_alpha) == (
        "E-mail ou senha incorretos.",
        "Alguns campos são inválidos.",
        "Não encontrado.",
    )
    assert errors(api_beta) == (
        "E-mail or password is incorrect.",
        "Some fields are invalid.",
        "Not found.",
    )


def test_signed_in_api_errors_come_out_in_pt_br(alpha_pt_beta_en, api_alpha, api_beta):
    alpha, beta = alpha_pt_beta_en
    _sign_in(api_alpha, alpha)
    _sign_in(api_beta, beta)
    missing_ticket = f"/api/v1/tickets/{uuid.uuid4()}/"

    alpha_message = _message(api_alpha.get(missing_ticket), 404, "ticket_not_found")
    beta_message = _message(api_beta.get(missing_ticket), 404, "ticket_not_found")

    assert alpha_message == "Ticket não encontrado."
    assert beta_message == "Ticket not found."


def test_a_token_users_own_language_wins_over_the_tenants_on_the_api(alpha_pt_beta_en, api_alpha):
    alpha, _beta = alpha_pt_beta_en
    _sign_in(api_alpha, alpha, language="en")

    response = api_alpha.get(f"/api/v1/tickets/{uuid.uuid4()}/")

    assert _message(response, 404, "ticket_not_found") == "Ticket not found."
    assert response["Content-Language"] == "en"

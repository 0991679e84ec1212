"""The contacts reports: contacts by creation date, tag and Brazilian state (from the area code
of their number), as a printable list and per state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr

from accounts.models import User
from contacts.models import Contact
from contacts.selectors import contact_list_for_user

# Brazilian area codes (DDD) per state: a number +55 DD ... belongs to the state of DD.
AREA_CODES: dict[str, tuple[str, ...]] = {
    "AC": ("68",),
    "AL": ("82",),
    "AM": ("92", "97"),
    "AP": ("96",),
    "BA": ("71", "73", "74", "75", "77"),
    "CE": ("85", "88"),
    "DF": ("61",),
    "ES": ("27", "28"),
    "GO": ("62", "64"),
    "MA": ("98", "99"),
    "MG": ("31", "32", "33", "34", "35", "37", "38"),
    "MS": ("67",),
    "MT": ("65", "66"),
    "PA": ("91", "93", "94"),
    "PB": ("83",),
    "PE": ("81", "87"),
    "PI": ("86", "89"),
    "PR": ("41", "42", "43", "44", "45", "46"),
    "RJ": ("21", "22", "24"),
    "RN": ("84",),
    "RO": ("69",),
    "RR": ("95",),
    "RS": ("51", "53", "54", "55"),
    "SC": ("47", "48", "49"),
    "SE": ("79",),
    "SP": ("11", "12", "13", "14", "15", "16", "17", "18", "19"),
    "TO": ("63",),
}
STATE_OF_AREA_CODE = {code: state for state, codes in AREA_CODES.items() for code in codes}


def contacts_report(
    *,
    user: User,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    tag_ids: Sequence[int] = (),
    states: Sequence[str] = (),
    search: str = "",
) -> QuerySet[Contact]:
    """Contacts (not groups) ``user`` may see (the contacts' wallet rule), created in
    [``created_from``, ``created_before``) when given, having any of ``tag_ids``, whose number is
    Brazilian (+55) with an area code of one of ``states``, matching ``search``; by name."""
    contacts = contact_list_for_user(user=user, search=search, tag_ids=tag_ids).filter(
        is_group=False
    )
    if created_from is not None:
        contacts = contacts.filter(created_at__gte=created_from)
    if created_before is not None:
        contacts = contacts.filter(created_at__lt=created_before)
    if states:
        codes = [code for state in states for code in AREA_CODES.get(state, ())]
        contacts = contacts.annotate(area_code=Substr("phone", 4, 2)).filter(
            phone__startswith="+55", area_code__in=codes
        )
    return contacts.order_by("name", "pk")


def contacts_per_state(contacts: QuerySet[Contact]) -> list[tuple[str, int]]:
    """How many of ``contacts`` with a Brazilian number per state (by area code; "" for an
    unknown code), most first. One query."""
    counts: dict[str, int] = {}
    for area_code, n in (
        contacts.prefetch_related(None)
        .filter(phone__startswith="+55")
        .order_by()
        .annotate(area_code=Substr("phone", 4, 2))
        .values_list("area_code")
        .annotate(n=Count("pk"))
        .values_list("area_code", "n")
    ):
        state = STATE_OF_AREA_CODE.get(area_code, "")
        counts[state] = counts.get(state, 0) + n
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

"""Writes of the contacts domain, one module per subject: contacts and their channel identities
(``contacts``), tags (``tags``), custom attributes (``attributes``) and CSV imports
(``imports``). Views, tasks and providers all change contacts through here.

The public names are re-exported so ``from contacts.services import contact_create`` works;
new code may import from the submodule that owns the name.
"""

from contacts.services.attributes import (
    contact_attribute_definition_create,
    contact_attribute_definition_delete,
    contact_attribute_definition_update,
    contact_attributes_clean,
)
from contacts.services.contacts import (
    contact_block,
    contact_create,
    contact_delete,
    contact_owners_set,
    contact_tags_set,
    contact_unblock,
    contact_update,
    contact_upsert_from_identity,
)
from contacts.services.imports import (
    IMPORT_BATCH_SIZE,
    IMPORT_MAX_BYTES,
    contact_import_cancel,
    contact_import_confirm,
    contact_import_preview,
    contact_import_run,
    contact_import_start,
)
from contacts.services.tags import tag_create, tag_delete, tag_update

__all__ = [
    "IMPORT_BATCH_SIZE",
    "IMPORT_MAX_BYTES",
    "contact_attribute_definition_create",
    "contact_attribute_definition_delete",
    "contact_attribute_definition_update",
    "contact_attributes_clean",
    "contact_block",
    "contact_create",
    "contact_delete",
    "contact_import_cancel",
    "contact_import_confirm",
    "contact_import_preview",
    "contact_import_run",
    "contact_import_start",
    "contact_owners_set",
    "contact_tags_set",
    "contact_unblock",
    "contact_update",
    "contact_upsert_from_identity",
    "tag_create",
    "tag_delete",
    "tag_update",
]

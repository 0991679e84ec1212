"""The writes of data subjects' requests and the retention policy."""

from privacy.services.erasure import contact_erase, conversations_erase, erased_contact_name
from privacy.services.exports import contact_export_build, contact_export_data
from privacy.services.requests import (
    privacy_erasure_request,
    privacy_export_request,
    privacy_exports_expire,
    privacy_request_fulfil,
    privacy_requests_sweep,
)
from privacy.services.retention import (
    RetentionOutcome,
    retention_apply,
    retention_policy_get,
    retention_policy_update,
    retention_preview,
)

__all__ = [
    "RetentionOutcome",
    "contact_erase",
    "contact_export_build",
    "contact_export_data",
    "conversations_erase",
    "erased_contact_name",
    "privacy_erasure_request",
    "privacy_export_request",
    "privacy_exports_expire",
    "privacy_request_fulfil",
    "privacy_requests_sweep",
    "retention_apply",
    "retention_policy_get",
    "retention_policy_update",
    "retention_preview",
]

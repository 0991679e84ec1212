"""The tenant Django admin for contacts, tags, custom attributes and imports."""

from django.contrib import admin

from contacts.models import Contact, ContactAttributeDefinition, ContactIdentity, ContactImport, Tag


class ContactIdentityInline(admin.TabularInline[ContactIdentity, Contact]):
    model = ContactIdentity
    extra = 0
    fields = ["provider", "external_id", "display_name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ["name", "phone", "email", "is_blocked", "created_at"]
    list_filter = ["is_blocked", "is_group", "tags"]
    search_fields = ["name", "phone", "email"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    filter_horizontal = ["tags", "owners"]
    inlines = [ContactIdentityInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ["name", "color", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(ContactAttributeDefinition)
class ContactAttributeDefinitionAdmin(admin.ModelAdmin[ContactAttributeDefinition]):
    list_display = ["label", "key", "type"]
    search_fields = ["label", "key"]


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin[ContactImport]):
    list_display = [
        "original_name",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "skipped_count",
        "created_at",
    ]
    list_filter = ["status"]
    readonly_fields = [
        "public_id",
        "file",
        "original_name",
        "status",
        "tags",
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "skipped_count",
        "errors",
        "created_by",
        "finished_at",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request: object) -> bool:
        # Imports start through the API so the file is checked and the job queued.
        return False

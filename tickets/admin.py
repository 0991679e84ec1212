"""The tenant Django admin for queues, connection routing, tickets, their timeline, messages and
quick replies.

Tickets, their events and messages are read-only here: they change through the ticket and
message services (which write the timeline and notify the inbox), never through a form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ManyToManyField, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.requests import request_user
from tickets.models import (
    ConnectionRouting,
    Message,
    MessageEdit,
    Queue,
    QuickReply,
    Ticket,
    TicketEvent,
)
from tickets.services import queues as queue_services


class ReadOnlyAdminMixin:
    """View-only pages: no add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QueueAdminForm(forms.ModelForm[Queue]):
    class Meta:
        model = Queue
        fields = ["name", "color", "greeting_message", "is_active", "members"]

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        duplicates = Queue.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise forms.ValidationError(_("A queue with this name already exists."))
        return name


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    form = QueueAdminForm
    list_display = ["name", "color", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    actions: list[Any] = []  # no bulk delete: deleting goes through queue_delete, one by one

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "members":
            kwargs["queryset"] = User.objects.filter(is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Queue, form: Any, change: bool) -> None:
        # The same services as the API; the form already refused what they would refuse.
        by = request_user(request)
        if change:
            queue_services.queue_update(queue=obj, by=by)
        else:
            created = queue_services.queue_create(
                by=by,
                name=obj.name,
                color=obj.color,
                greeting_message=obj.greeting_message,
                is_active=obj.is_active,
            )
            # The form's instance becomes the stored row, so save_m2m sets its members.
            obj.pk, obj._state = created.pk, created._state
            obj.created_at, obj.updated_at = created.created_at, created.updated_at

    def delete_model(self, request: HttpRequest, obj: Queue) -> None:
        # Only reached for a queue without tickets: the admin refuses protected deletions first.
        queue_services.queue_delete(queue=obj, move_to=None, by=request_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Queue]) -> None:
        for queue in queryset:
            self.delete_model(request, queue)


class TicketEventInline(admin.TabularInline[TicketEvent, Ticket]):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "data"]
    readonly_fields = ["created_at", "kind", "actor", "data"]
    ordering = ["created_at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Ticket]):
    list_display = ["protocol", "status", "contact", "queue", "assignee", "last_message_at"]
    list_filter = ["status", "queue", "is_outbound", "connection"]
    list_select_related = ["contact", "queue", "assignee"]
    search_fields = ["protocol", "contact__name"]
    date_hierarchy = "created_at"
    inlines = [TicketEventInline]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[TicketEvent]):
    list_display = ["created_at", "ticket", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "actor"]
    search_fields = ["ticket__protocol"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Message]):
    list_display = ["public_id", "ticket", "direction", "sender", "kind", "status", "created_at"]
    list_filter = ["direction", "sender", "kind", "status", "is_note"]
    list_select_related = ["ticket"]
    search_fields = ["body", "ticket__protocol"]


@admin.register(MessageEdit)
class MessageEditAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[MessageEdit]):
    list_display = ["message", "edited_by", "created_at"]
    list_select_related = ["message", "edited_by"]


@admin.register(QuickReply)
class QuickReplyAdmin(admin.ModelAdmin[QuickReply]):
    list_display = ["shortcode", "owner", "created_at"]
    list_filter = [("owner", admin.EmptyFieldListFilter)]
    list_select_related = ["owner"]
    search_fields = ["shortcode", "body"]


@admin.register(ConnectionRouting)
class ConnectionRoutingAdmin(admin.ModelAdmin[ConnectionRouting]):
    """Where a connection's new tickets go, its greeting and farewell. Rows are created by the
    connection services; here they are only changed."""

    list_display = ["connection", "default_queue"]
    list_select_related = ["connection", "default_queue"]
    search_fields = ["connection__name"]
    fields = ["connection", "default_queue", "greeting_message", "farewell_message"]
    readonly_fields = ["connection"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

"""The contacts pages of the dashboard: list, edit, import, export."""

from django.urls import path

from dashboard.contacts import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_new, name="new"),
    path("import/", views.contact_import, name="import-start"),
    path("import/<uuid:public_id>/", views.contact_import_status, name="import"),
    path("import/<uuid:public_id>/start/", views.contact_import_confirm, name="import-confirm"),
    path("import/<uuid:public_id>/discard/", views.contact_import_discard, name="import-discard"),
    path("export/", views.contact_export, name="export"),
    path("import/<uuid:public_id>/errors.csv", views.contact_import_errors, name="import-errors"),
    path("<uuid:public_id>/", views.contact_edit, name="edit"),
    path("<uuid:public_id>/delete/", views.contact_remove, name="delete"),
    path("<uuid:public_id>/avatar/", views.contact_avatar, name="avatar"),
]

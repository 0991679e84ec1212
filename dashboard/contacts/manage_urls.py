"""Admin pages for tags (under /manage/)."""

from django.urls import path

from dashboard.contacts import views

urlpatterns = [
    path("tags/", views.tag_admin, name="tags"),
    path("tags/<int:pk>/", views.tag_edit, name="tag"),
    path("tags/<int:pk>/delete/", views.tag_remove, name="tag-delete"),
]

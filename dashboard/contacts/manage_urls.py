"""Admin pages for tags and custom contact attributes (under /manage/)."""

from django.urls import path

from dashboard.contacts import attribute_views, views

urlpatterns = [
    path("tags/", views.tag_admin, name="tags"),
    path("tags/<int:pk>/", views.tag_edit, name="tag"),
    path("tags/<int:pk>/delete/", views.tag_remove, name="tag-delete"),
    path("contact-attributes/", attribute_views.attribute_list, name="contact-attributes"),
    path("contact-attributes/<int:pk>/", attribute_views.attribute_edit, name="contact-attribute"),
    path(
        "contact-attributes/<int:pk>/delete/",
        attribute_views.attribute_remove,
        name="contact-attribute-delete",
    ),
]

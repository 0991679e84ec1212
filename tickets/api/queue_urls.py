from django.urls import URLPattern, URLResolver, path

from tickets.api import queue_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("queues/", views.QueueListCreateApi.as_view(), name="queues"),
    path("queues/<int:pk>/", views.QueueDetailApi.as_view(), name="queue"),
    path("queues/<int:pk>/members/", views.QueueMembersApi.as_view(), name="queue-members"),
]

from django.urls import URLPattern, URLResolver, path

from tickets.api import agent_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("users/", views.UserListCreateApi.as_view(), name="users"),
    path("users/<int:pk>/", views.UserDetailApi.as_view(), name="user"),
    path("users/<int:pk>/deactivate/", views.UserDeactivateApi.as_view(), name="user-deactivate"),
    path("users/<int:pk>/reactivate/", views.UserReactivateApi.as_view(), name="user-reactivate"),
]

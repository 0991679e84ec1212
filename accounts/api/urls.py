from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/token/refresh/", views.TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutApi.as_view(), name="logout"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/status/", views.MeStatusApi.as_view(), name="me-status"),
]

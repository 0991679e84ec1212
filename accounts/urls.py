from django.urls import path

from accounts import views
from core.views import placeholder

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", placeholder, name="profile"),
]

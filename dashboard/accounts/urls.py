from django.urls import path

from dashboard.accounts import views
from dashboard.views import placeholder

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", placeholder, name="profile"),
]

from django.urls import path

from dashboard.accounts import profile_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/forgot/", views.password_forgot, name="password-forgot"),
    path("password/reset/<str:uid>/<str:token>/", views.password_reset, name="password-reset"),
    path("profile/", profile_views.profile, name="profile"),
    path("profile/password/", profile_views.password_change, name="password-change"),
    path("profile/sessions/end/", profile_views.sessions_end, name="sessions-end"),
    path("avatars/<int:pk>/", profile_views.avatar, name="avatar"),
]

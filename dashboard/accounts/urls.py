from django.urls import path

from dashboard.accounts import profile_views, two_factor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", two_factor_views.login_code, name="login-code"),
    path("logout/", views.logout_view, name="logout"),
    path("password/forgot/", views.password_forgot, name="password-forgot"),
    path("password/reset/<str:uid>/<str:token>/", views.password_reset, name="password-reset"),
    path("profile/", profile_views.profile, name="profile"),
    path("profile/password/", profile_views.password_change, name="password-change"),
    path("profile/sessions/end/", profile_views.sessions_end, name="sessions-end"),
    path("profile/two-factor/start/", two_factor_views.two_factor_start, name="two-factor-start"),
    path(
        "profile/two-factor/confirm/",
        two_factor_views.two_factor_confirm,
        name="two-factor-confirm",
    ),
    path(
        "profile/two-factor/disable/",
        two_factor_views.two_factor_disable_view,
        name="two-factor-disable",
    ),
    path(
        "profile/two-factor/recovery-codes/",
        two_factor_views.two_factor_recovery,
        name="two-factor-recovery",
    ),
    path("avatars/<int:pk>/", profile_views.avatar, name="avatar"),
]

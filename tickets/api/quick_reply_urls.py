from django.urls import URLPattern, URLResolver, path

from tickets.api import quick_reply_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("quick-replies/", views.QuickReplyListCreateApi.as_view(), name="quick-replies"),
    path("quick-replies/<int:pk>/", views.QuickReplyDetailApi.as_view(), name="quick-reply"),
    path(
        "quick-replies/<int:pk>/render/",
        views.QuickReplyRenderApi.as_view(),
        name="quick-reply-render",
    ),
    path(
        "quick-replies/<int:pk>/media/",
        views.QuickReplyMediaApi.as_view(),
        name="quick-reply-media",
    ),
]

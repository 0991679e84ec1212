"""The new-conversation page (an agent writes first)."""

from django.urls import path

from dashboard.conversations import views

app_name = "conversations"
urlpatterns = [
    path("new/", views.conversation_new, name="new"),
]

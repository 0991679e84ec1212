"""The platform pages under /platform/ on the base domain (public URLconf only)."""

from django.urls import path

from dashboard.platform import views

app_name = "platform"
urlpatterns = [
    path("", views.tenant_list, name="tenants"),
    path("tenants/new/", views.tenant_create, name="tenant-create"),
    path("tenants/<int:tenant_id>/limits/", views.tenant_limits, name="tenant-limits"),
    path("tenants/<int:tenant_id>/suspend/", views.tenant_suspend, name="tenant-suspend"),
    path("tenants/<int:tenant_id>/resume/", views.tenant_resume, name="tenant-resume"),
]

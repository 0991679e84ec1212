from django.urls import URLPattern, URLResolver, path

from automation.api import flow_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("flows/", views.FlowListCreateApi.as_view(), name="flows"),
    path("flows/validate/", views.FlowValidateApi.as_view(), name="flows-validate"),
    path("flows/import/", views.FlowImportApi.as_view(), name="flows-import"),
    path("flows/media/", views.FlowMediaUploadApi.as_view(), name="flows-media"),
    path("flows/<uuid:public_id>/", views.FlowDetailApi.as_view(), name="flow"),
    path("flows/<uuid:public_id>/versions/", views.FlowVersionsApi.as_view(), name="flow-versions"),
    path(
        "flows/<uuid:public_id>/versions/<int:number>/",
        views.FlowVersionDetailApi.as_view(),
        name="flow-version",
    ),
    path(
        "flows/<uuid:public_id>/versions/<int:number>/rollback/",
        views.FlowRollbackApi.as_view(),
        name="flow-rollback",
    ),
    path(
        "flows/<uuid:public_id>/duplicate/", views.FlowDuplicateApi.as_view(), name="flow-duplicate"
    ),
    path("flows/<uuid:public_id>/test-run/", views.FlowTestRunApi.as_view(), name="flow-test-run"),
    path("flows/<uuid:public_id>/export/", views.FlowExportApi.as_view(), name="flow-export"),
]

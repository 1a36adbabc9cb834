"""The API's URLs (namespace `api`), included by the project URLconf at /api/."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from tracker.api import sync, views
from tracker.api.permissions import TokenMayWrite

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("domains", views.DomainViewSet, basename="domain")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("sweeps", views.SweepViewSet, basename="sweep")
router.register("alert-channels", views.AlertChannelViewSet, basename="alert-channel")
router.register("alert-deliveries", views.AlertDeliveryViewSet, basename="alert-delivery")

urlpatterns = [
    path("sync/customers/", sync.CustomerUpsertView.as_view(), name="sync_customers"),
    path("changes/", sync.ChangesView.as_view(), name="changes"),
    # Behind a login like everything: a token or session for the schema (401 without), the login page for the docs.
    path(
        "schema/",
        login_not_required(SpectacularAPIView.as_view(permission_classes=[TokenMayWrite])),
        name="schema",
    ),
    # The split view serves its script as a file: no inline script for a Content-Security-Policy to allow.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]

"""The root URLconf: login, the admin, the API (tracker.api.urls), and the pages (tracker.urls)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.views import dashboard, health

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Reps created by an import choose their password from the invitation's link.
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
    path("api/", include("tracker.api.urls")),
    # Monitoring and load balancers
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    # Ops land on the dashboard, reps on their customers.
    path("", dashboard.home, name="home"),
    path("", include("tracker.urls")),
]

"""The root URLconf: login, the admin, the API (tracker.api.urls), and the pages (tracker.urls)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.views import account, dashboard, errors, health

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's auth views under their own names (they reverse each other by them).
    path("account/password/", account.password_change, name="password_change"),
    path("account/password/done/", account.password_change_done, name="password_change_done"),
    path("account/reset/", account.password_reset, name="password_reset"),
    path("account/reset/sent/", account.password_reset_done, name="password_reset_done"),
    path("account/reset/<uidb64>/<token>/", account.password_reset_confirm, name="password_reset_confirm"),
    path("account/reset/done/", account.password_reset_complete, name="password_reset_complete"),
    path("ops/lockouts/", account.lockout_list, name="lockout_list"),
    path("ops/lockouts/<int:pk>/unlock/", account.lockout_unlock, name="lockout_unlock"),
    path("admin/", admin.site.urls),
    path("api/", include("tracker.api.urls")),
    # Monitoring and load balancers
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    # Ops land on the dashboard, reps on their home page.
    path("", dashboard.home, name="home"),
    path("", include("tracker.urls")),
]

# Error pages in the site's layout, with the reason (tracker.views.errors).
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

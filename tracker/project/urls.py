"""The root URLconf: login, the admin, and the pages (tracker.urls)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.views import dashboard, errors

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Ops land on the dashboard, reps on their home page.
    path("", dashboard.home, name="home"),
    path("", include("tracker.urls")),
]

# Error pages in the site's layout, with the reason (tracker.views.errors).
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

"""Customer pages (included at "/")."""

from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/status/", views.customer_status, name="customer_status"),
    path("import/", views.import_page, name="import"),
    path("export/", views.export, name="export"),
]

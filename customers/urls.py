"""Customer pages (included at "/")."""

from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/status/", views.customer_status, name="customer_status"),
    path("customers/<int:pk>/domains/add/", views.customer_domain_add, name="customer_domain_add"),
    path(
        "customers/<int:pk>/domains/<int:domain_pk>/remove/",
        views.customer_domain_remove,
        name="customer_domain_remove",
    ),
    path("import/", views.import_page, name="import"),
    path("export/", views.export, name="export"),
]

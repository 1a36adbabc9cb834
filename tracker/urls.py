"""The pages (namespace `tracker`), included by the project URLconf at "/"."""

from django.urls import path

from tracker.views import campaigns, customers, dashboard, domains, notices, sweeps, tasks

app_name = "tracker"

urlpatterns = [
    # The rep's workspace
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/status/", customers.customer_status, name="customer_status"),
    # The path htmx clients of earlier versions post to; the same view answers both.
    path("customers/<int:pk>/status-inline/", customers.customer_status),
    path("customers/<int:pk>/domains/add/", customers.customer_domain_add, name="customer_domain_add"),
    path(
        "customers/<int:pk>/domains/<int:domain_pk>/remove/",
        customers.customer_domain_remove,
        name="customer_domain_remove",
    ),
    path("customers/<int:pk>/notice/", notices.customer_notice, name="customer_notice"),
    path("customers/<int:pk>/notices/", notices.customer_notices, name="customer_notices"),
    path("customers/<int:pk>/notices/<int:notice_pk>/", notices.notice_update, name="notice_update"),
    path("import/", customers.customer_import, name="customer_import"),
    path("import/jobs/<int:pk>/", customers.customer_import_job, name="customer_import_job"),
    path("export/", customers.customer_export, name="customer_export"),
    # Operations
    path("dashboard/", dashboard.dashboard_home, name="dashboard_home"),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/<slug:slug>/dashboard/", dashboard.campaign_dashboard, name="campaign_dashboard"),
    path("campaigns/<slug:slug>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<slug:slug>/notice-template/", notices.notice_template_edit, name="notice_template_edit"),
    path("campaigns/<slug:slug>/sweeps/", sweeps.sweep_list, name="sweep_list"),
    path("campaigns/<slug:slug>/sweeps/start/", sweeps.sweep_create, name="sweep_create"),
    path("campaigns/<slug:slug>/sweeps/<int:pk>/resume/", sweeps.sweep_resume_view, name="sweep_resume"),
    path("domains/", domains.domain_list, name="domain_list"),
    path("domains/<int:pk>/", domains.domain_detail, name="domain_detail"),
    path("domains/<int:pk>/recheck/", domains.domain_recheck, name="domain_recheck"),
    path("domains/<int:pk>/recheck/<int:sweep_pk>/", domains.domain_recheck_progress, name="domain_recheck_progress"),
    # Follow-up tasks
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<int:pk>/done/", tasks.task_done, name="task_done"),
    path("tasks/<int:pk>/snooze/", tasks.task_snooze, name="task_snooze"),
]

"""The pages (namespace `tracker`), included by the project URLconf at "/"."""

from django.urls import path

from tracker.views import (
    account,
    activities,
    alerts,
    campaigns,
    customers,
    dashboard,
    domains,
    notices,
    sweeps,
    tasks,
    tokens,
)

app_name = "tracker"

urlpatterns = [
    # The person's own profile
    path("account/", account.account, name="account"),
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
    path("customers/<int:customer_pk>/activities/", activities.activity_add, name="activity_add"),
    path("import/", customers.customer_import, name="customer_import"),
    path("import/jobs/<int:pk>/", customers.customer_import_job, name="customer_import_job"),
    path("export/", customers.customer_export, name="customer_export"),
    path("home/", dashboard.rep_home, name="rep_home"),
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
    path("domains/blocking-mx-move/", domains.domains_blocking_mx_move, name="domains_blocking_mx_move"),
    path("domains/<int:pk>/", domains.domain_detail, name="domain_detail"),
    path("domains/<int:pk>/recheck/", domains.domain_recheck, name="domain_recheck"),
    path("domains/<int:pk>/recheck/<int:sweep_pk>/", domains.domain_recheck_progress, name="domain_recheck_progress"),
    # Follow-up tasks
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<int:pk>/done/", tasks.task_done, name="task_done"),
    path("tasks/<int:pk>/snooze/", tasks.task_snooze, name="task_snooze"),
    # Alert channels (operations)
    path("alerts/", alerts.alert_channels, name="alert_channels"),
    path("alerts/<int:pk>/", alerts.alert_channels, name="alert_channel_edit"),
    path("alerts/<int:pk>/test/", alerts.alert_channel_test, name="alert_channel_test"),
    # The user's own API tokens
    path("account/tokens/", tokens.token_list, name="token_list"),
    path("account/tokens/<int:pk>/revoke/", tokens.token_revoke_view, name="token_revoke"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen_view, name="task_reopen"),
    path("tasks/bulk/", tasks.tasks_bulk_view, name="tasks_bulk"),
    path("tasks/views/", tasks.saved_view_create, name="saved_view_create"),
    path("tasks/views/<int:pk>/delete/", tasks.saved_view_delete, name="saved_view_delete"),
    path("customers/<int:customer_pk>/tasks/add/", tasks.task_add, name="task_add"),
]

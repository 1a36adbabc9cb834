"""Users in the admin: a user with history is deactivated and hands over their work, never deleted.

Deleting a rep used to unassign their customers, strip their name from status
changes and leave their open tasks to nobody. Here the delete is refused with
what the user's name is on, and the action "Deactivate and hand over" moves
their customers and open tasks to another user in one step.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from tracker.queries.accounts import user_history_counts
from tracker.services.reassignment import user_retire

User = get_user_model()


def history_summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {what}" for what, count in counts.items())


class HandOverForm(forms.Form):
    successor = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        label=_("Hand customers and open tasks to"),
    )


admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    actions = ["deactivate_and_hand_over"]

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and user_history_counts(obj))

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, object_id)
        counts = user_history_counts(user) if user else {}
        if counts:
            self.message_user(
                request,
                _(
                    "%(user)s was not deleted: their name is on %(history)s. Users with history are "
                    "deactivated instead: use the action “Deactivate and hand over” on the user list."
                )
                % {"user": user.get_username(), "history": history_summary(counts)},
                messages.ERROR,
            )
            return redirect("admin:auth_user_change", user.pk)
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, where the refusal can say why
        return actions

    @admin.action(description=_("Deactivate and hand customers and open tasks to another user"))
    def deactivate_and_hand_over(self, request, queryset):
        users = list(queryset)
        form = HandOverForm(request.POST if "apply" in request.POST else None)
        form.fields["successor"].queryset = form.fields["successor"].queryset.exclude(
            pk__in=[u.pk for u in users]
        )
        if form.is_bound and form.is_valid():
            successor = form.cleaned_data["successor"]
            for user in users:
                handed = user_retire(user, successor, by=request.user)
                self.message_user(
                    request,
                    _(
                        "%(user)s deactivated: %(customers)d customers and %(tasks)d open tasks handed to %(to)s."
                    )
                    % {
                        "user": user.get_username(),
                        "customers": handed.customers,
                        "tasks": handed.tasks,
                        "to": successor.get_username(),
                    },
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Deactivate and hand over"),
            "opts": self.model._meta,
            "users": [(user, history_summary(user_history_counts(user))) for user in users],
            "form": form,
            "action": "deactivate_and_hand_over",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/auth/user/hand_over.html", context)

"""The signed-in person's account: profile (language, time zone), password change, reset by mail,
and ops unlocking locked logins.

Django's own auth views do the work (tokens, hashing, validators); these only
put their forms in the site's layout. Reset mails go through EMAIL_BACKEND.
"""

from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.middleware import remember_preferences
from customers.models import UserProfile
from tracker.common.forms import style_widgets
from tracker.forms import ProfileForm
from tracker.queries.lockouts import lockouts_current
from tracker.services.lockouts import lockout_release
from tracker.views.decorators import ops_required


def account(request):
    """Language and time zone for pages, digests and dates."""
    profile = UserProfile.objects.for_user(request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST":
        if form.is_valid():
            profile = form.save()
            remember_preferences(request.session, profile)
            # The confirmation already speaks the language just chosen.
            with translation.override(profile.language or translation.get_language()):
                messages.success(request, _("Your profile was saved."))
            return redirect("tracker:account")
        status = 400
    else:
        status = 200
    return render(request, "tracker/account.html", {"form": form}, status=status)


class _Styled:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class PasswordChangeForm(_Styled, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(_Styled, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(_Styled, auth_forms.SetPasswordForm):
    pass


password_change = auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm)
password_change_done = auth_views.PasswordChangeDoneView.as_view()
password_reset = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm,
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
)
password_reset_done = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=SetPasswordForm, success_url=reverse_lazy("password_reset_complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()


@ops_required
def lockout_list(request):
    """Logins locked after too many wrong passwords, each with an Unlock button."""
    return render(request, "registration/lockout_list.html", {"lockouts": lockouts_current()})


@ops_required
@require_POST
def lockout_unlock(request, pk: int):
    released = lockout_release(pk)
    if released:
        messages.success(request, _("%(username)s can log in again.") % {"username": released})
    else:
        messages.info(request, _("That lockout had already ended."))
    return redirect("lockout_list")

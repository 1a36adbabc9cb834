"""The person's own profile: language and time zone for pages, digests and dates."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from customers.middleware import remember_preferences
from customers.models import UserProfile
from tracker.forms import ProfileForm


def account(request):
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

"""The user's API tokens: made (the token is shown on that one page only), listed and revoked."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.forms import ApiTokenForm
from tracker.models import ApiToken
from tracker.services.tokens import token_create, token_revoke


def _page(request, form, new_token: str = "", status: int = 200):
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_token": new_token,
    }
    return render(request, "tracker/token_list.html", context, status=status)


def token_list(request):
    """Everyone's own tokens; a POST makes one and shows it once, in this response."""
    if request.method != "POST":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    _row, token = token_create(
        request.user, form.cleaned_data["name"], form.cleaned_data["access"], form.expires_at
    )
    response = _page(request, ApiTokenForm(), new_token=token)
    response["Cache-Control"] = "no-store"  # the token must not stay in a cache
    return response


@require_POST
def token_revoke_view(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # only one's own: others are a 404
    token_revoke(token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("tracker:token_list")

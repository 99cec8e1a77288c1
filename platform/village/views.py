"""Pages that reach into every app: her data rights (a copy of her data, closing
her account). Their paths stay under /accounts/profile/ where she looks for them."""

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from accounts.forms import CloseAccountForm
from village import data_rights


@login_required
def export_my_data(request):
    """Her data as a JSON file she can keep."""
    data = data_rights.export_data(user=request.user)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="my-village-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def close_my_account(request):
    """Close her account after she confirms with her password."""
    form = CloseAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data_rights.close_account(user=request.user)
        logout(request)
        return render(request, "accounts/closed.html")
    return render(request, "accounts/close_account.html", {"form": form})

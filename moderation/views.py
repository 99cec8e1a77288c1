from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from moderation import policy
from moderation.forms import AuditFilterForm
from moderation.selectors import (
    AuditFilter,
    audit_entries,
    audit_target_labels,
    crisis_card_for,
)


def crisis_card_page(request):
    """The "Need help now?" page: open to everyone, signed in or not."""
    return render(
        request, "moderation/crisis_card.html", {"card": crisis_card_for(after_flag=False)}
    )


@login_required
def audit_log(request):
    if not policy.can_view_audit_log(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = AuditFilter(**form.cleaned_data) if form.is_valid() else AuditFilter()
    page = Paginator(audit_entries(filters=filters), 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # the entries the template will show
    labels = audit_target_labels(page.object_list)
    for entry in page.object_list:
        entry.about = labels[entry.pk]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
    )

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from moderation import policy, services
from moderation.forms import CATEGORY_WORDS, AuditFilterForm, ConcernForm, MissedRiskForm
from moderation.selectors import (
    AuditFilter,
    audit_entries,
    audit_target_labels,
    concern_subjects,
    crisis_card_for,
    is_someone_elses_direct_chat,
    message_to_mark,
)


def closed_to_her(request):
    """A volunteer who may not lead now (paused, DBS check expired, still in her
    checks) is told why the queue is closed to her, kindly; anyone else gets the
    plain refusal."""
    reason = policy.why_queue_closed(request.user)
    if not reason:
        raise PermissionDenied
    return render(request, "moderation/queue_closed.html", {"reason": reason}, status=403)


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


@login_required
def raise_concern(request):
    """A volunteer raises a safeguarding concern about a member of her rooms or
    1:1 chats (a coordinator, about any member), without a message."""
    if not policy.may_raise_concerns(request.user):
        return closed_to_her(request)
    form = ConcernForm(request.POST or None)
    form.fields["member"].queryset = concern_subjects(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.raise_concern(
                actor=request.user,
                member=form.cleaned_data["member"],
                level=form.cleaned_data["level"],
                note=form.cleaned_data["note"],
            )
        except services.ConcernLimitReached as limit:
            form.add_error(None, limit.detail)
            return render(request, "moderation/concern.html", {"form": form}, status=429)
        messages.success(request, "Thank you. The coordinators have your concern.")
        return redirect("home")
    return render(request, "moderation/concern.html", {"form": form})


@login_required
@require_POST
def warning_seen(request, warning_id: int):
    services.mark_warning_seen(user=request.user, warning_id=warning_id)
    # Back to the page she read it on, which is always on this site: never a
    # `next` naming another site, a scheme-relative `//` address or `javascript:`.
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(back)
    return redirect("home")


@login_required
def mark_missed(request, message_id: int):
    """Mark a published message as a risk screening missed (coordinators): a
    label for retraining, and a flag on the queue. Reached from the context
    messages of a flag's card and from the room page's staff actions."""
    user = request.user
    if not policy.can_mark_missed(user):
        if policy.can_view_queue(user):
            # A lead volunteer: tell her kindly what she can do instead.
            return render(request, "moderation/mark_missed_closed.html", status=403)
        raise PermissionDenied
    message = message_to_mark(message_id)
    if message is None:
        raise Http404
    if not policy.may_mark_message_missed(
        user,
        author_id=message.author_id,
        status=message.status,
        author_closed=message.author.anonymised_at is not None,
    ):
        return render(
            request, "moderation/mark_missed_refused.html", {"message": message}, status=403
        )
    form = MissedRiskForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            marked = services.mark_missed(
                actor=user,
                message=message,
                category=form.cleaned_data["category"],
                note=form.cleaned_data["note"],
            )
        except services.MissedRiskRefused as refused:
            error = refused.detail
        else:
            words = CATEGORY_WORDS[marked.label.category]
            if marked.newly:
                messages.success(
                    request,
                    f"Thank you. It's marked as a missed risk ({words.lower()}) and is on "
                    "the queue now.",
                )
            else:
                messages.info(
                    request, "Someone has marked this message already: it's on the queue."
                )
            return redirect("moderation_queue")
    if is_someone_elses_direct_chat(user, room=message.room):
        services.record_direct_message_seen(viewer=user, message=message)
    return render(
        request,
        "moderation/mark_missed.html",
        {"form": form, "message": message, "error": error},
        status=409 if error else 200,
    )

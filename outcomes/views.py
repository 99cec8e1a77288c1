"""Pages for outcome measures: her questionnaires, feedback and scores; the
coordinators' choice of measures and the wording of licensed ones."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.views import staff_page
from moderation.selectors import crisis_card_for
from outcomes import policy, selectors, services
from outcomes.forms import FeedbackForm, OutcomeSettingsForm, QuestionnaireForm, WordingForm
from outcomes.measures import BUILT_IN, measure
from outcomes.models import Feedback, Questionnaire


def member_page(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not policy.can_answer_questionnaires(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@member_page
def questionnaire(request, questionnaire_id: int):
    asked = get_object_or_404(
        Questionnaire, pk=questionnaire_id, member=request.user, completed_at__isnull=True
    )
    definition = measure(asked.measure)
    wording = selectors.wording(definition)
    if wording is None:
        raise Http404
    if request.method == "POST" and "not_now" in request.POST:
        services.postpone(member=request.user, questionnaire_id=asked.pk)
        messages.info(request, "That's fine. We'll ask again in a few days.")
        return _next_or_home(request)
    form = QuestionnaireForm(request.POST or None, definition=definition, wording=wording)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.complete_questionnaire(
                member=request.user, questionnaire_id=asked.pk, positions=form.positions()
            )
        except services.OutcomeError as error:
            messages.info(request, str(error))
            return redirect("home")
        if done.needs_crisis_card:
            return render(
                request,
                "outcomes/thank_you_support.html",
                {"card": crisis_card_for(after_flag=True)},
            )
        messages.success(request, "Thank you for answering. It helps us help you.")
        return _next_or_home(request)
    return render(
        request,
        "outcomes/questionnaire.html",
        {"questionnaire": asked, "definition": definition, "wording": wording, "form": form},
    )


@member_page
def feedback(request, feedback_id: int):
    asked = get_object_or_404(
        Feedback, pk=feedback_id, member=request.user, completed_at__isnull=True
    )
    if request.method == "POST" and "not_now" in request.POST:
        services.postpone(member=request.user, feedback_id=asked.pk)
        messages.info(request, "That's fine. We'll ask again in a few days.")
        return _next_or_home(request)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.complete_feedback(
                member=request.user, feedback_id=asked.pk, answers=form.cleaned_data
            )
        except services.OutcomeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thank you. Your feedback helps keep Village going.")
            return _next_or_home(request)
    return render(request, "outcomes/feedback.html", {"form": form})


def _next_or_home(request):
    """Back where she came from (a page of this site only), or home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("home")


@member_page
@require_POST
def before_leaving(request):
    """Before she closes her account: the last questionnaires and the feedback, optional."""
    services.ask_before_leaving(member=request.user)
    prompts = selectors.due_prompts(member=request.user)
    close = reverse("close_my_account")
    if prompts.questionnaires:
        first = prompts.questionnaires[0]
        return redirect(f"{reverse('questionnaire', args=[first.pk])}?next={close}")
    if prompts.feedback:
        return redirect(f"{reverse('feedback', args=[prompts.feedback[0].pk])}?next={close}")
    return redirect(close)


@member_page
def my_scores(request):
    return render(
        request, "outcomes/my_scores.html", {"lines": selectors.member_scores(member=request.user)}
    )


def measures_page(view):
    @wraps(view)
    @staff_page
    def wrapper(request, *args, **kwargs):
        if not policy.can_manage_measures(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@measures_page
def outcome_settings(request):
    current = selectors.outcome_settings()
    form = OutcomeSettingsForm(
        request.POST or None,
        initial={"measures": current.measures, "follow_up_weeks": current.follow_up_weeks},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_outcome_settings(actor=request.user, **form.cleaned_data)
        except services.OutcomeError as error:
            form.add_error("measures", str(error))
        else:
            messages.success(request, "Saved. Members are asked these from now on.")
            return redirect("staff_outcome_settings")
    return render(
        request,
        "outcomes/settings.html",
        {
            "form": form,
            "measures": [
                {"definition": m, "wording": selectors.wording_for(m.slug) if m.licensed else None}
                for m in BUILT_IN.values()
            ],
        },
    )


@measures_page
def enter_wording(request, slug: str):
    definition = BUILT_IN.get(slug)
    if definition is None or not definition.licensed:
        raise Http404
    entered = selectors.wording_for(slug)
    initial = {}
    if entered is not None:
        initial = {"licence": entered.licence, "stem": entered.stem}
        for number, item in enumerate(entered.items, start=1):
            initial[f"item_{number}_text"] = item["text"]
            initial[f"item_{number}_options"] = "\n".join(item["options"])
    form = WordingForm(request.POST or None, definition=definition, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.enter_wording(
                actor=request.user,
                slug=slug,
                stem=form.cleaned_data["stem"],
                items=form.items(),
                licence=form.cleaned_data["licence"],
            )
        except services.OutcomeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"{definition.name}'s wording is saved. It can now be chosen."
            )
            return redirect("staff_outcome_settings")
    return render(request, "outcomes/wording.html", {"form": form, "definition": definition})

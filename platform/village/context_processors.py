"""What every page's header needs: site wiring, so it may ask every app."""

from django.conf import settings
from django.utils import timezone

from accounts import policy
from chat.services import screening_backlog
from moderation.policy import can_view_queue, offers_queue
from outcomes.policy import can_answer_questionnaires
from volunteers.selectors import debrief_offers


def navigation(request):
    """What every page's header offers this person."""
    user = getattr(request, "user", None)

    def offers():
        # Called by the template only where it is shown (a volunteer's pages).
        return debrief_offers(volunteer=user) if policy.can_request_debrief(user) else []

    def screening_behind():
        # Called by the template only on the coordinators' pages: the model's
        # workers are behind when messages pass their deadline unread.
        backlog = screening_backlog(now=timezone.now())
        behind = backlog["past_deadline"] + backlog["published_unscreened"]
        return backlog if behind else None

    return {
        "can_use_staff_pages": policy.can_use_staff_pages(user),
        "screening_behind": screening_behind,
        "can_view_queue": can_view_queue(user),
        "can_edit_own_volunteering": policy.can_edit_own_volunteering(user),
        # Templates ask these rather than compare roles (DESIGN.md: policy decides).
        "offers_queue": offers_queue(user),
        "can_answer_questionnaires": can_answer_questionnaires(user),
        "is_asked_for_health_consent": policy.is_asked_for_health_consent(user),
        "debrief_offers": offers,
        "quick_exit_url": settings.VILLAGE_QUICK_EXIT_URL,
    }

from django.conf import settings

from accounts import policy
from moderation.policy import can_view_queue


def navigation(request):
    """What every page's header offers this person."""
    user = getattr(request, "user", None)

    def debrief_offers():
        # Called by the template only where it is shown (a volunteer's pages).
        from accounts.selectors import debrief_offers

        return debrief_offers(volunteer=user) if policy.can_request_debrief(user) else []

    return {
        "can_use_staff_pages": policy.can_use_staff_pages(user),
        "can_view_queue": can_view_queue(user),
        "can_edit_own_volunteering": policy.can_edit_own_volunteering(user),
        "debrief_offers": debrief_offers,
        "quick_exit_url": settings.VILLAGE_QUICK_EXIT_URL,
    }

from django.conf import settings

from accounts import policy
from moderation.policy import can_view_queue


def navigation(request):
    """What every page's header offers this person."""
    return {
        "can_use_staff_pages": policy.can_use_staff_pages(getattr(request, "user", None)),
        "can_view_queue": can_view_queue(getattr(request, "user", None)),
        "quick_exit_url": settings.VILLAGE_QUICK_EXIT_URL,
    }

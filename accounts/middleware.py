"""Staff must set up two-factor authentication before using staff pages.

allauth has no setting for "MFA required", so this middleware sends a
coordinator without TOTP to the setup page when she asks for a staff page or
the Django admin.
"""

from django.contrib import messages
from django.shortcuts import redirect

from accounts import policy

# The concern form lists members by name, so a coordinator needs MFA there too.
STAFF_PREFIXES = ("/staff/", "/admin/", "/concerns/")


class StaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.path.startswith(STAFF_PREFIXES)
            and policy.requires_mfa(request.user)
            and not policy.has_mfa(request.user)
        ):
            messages.warning(
                request,
                "Staff pages need two-factor authentication. "
                "Please set up an authenticator app to continue.",
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

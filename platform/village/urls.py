from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from chat import views as chat_views
from moderation import views as moderation_views
from village import views as village_views
from volunteers import views as volunteer_views

# The admin login goes through allauth: throttled, verified, MFA-checked.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Village administration"

urlpatterns = [
    path("", chat_views.home, name="home"),
    path("rooms/<int:room_id>/", chat_views.room, name="room"),
    # Pairing a member with a volunteer matches volunteers, so the page is theirs.
    path("staff/rooms/pairings/", volunteer_views.pairings, name="staff_pairings"),
    path("staff/rooms/", include("chat.staff_urls")),
    path("help/", moderation_views.crisis_card_page, name="crisis_card"),
    # A mum's sign-up, in its order (accounts.signup): eligibility, account, then
    # (after the emailed link) her private details.
    path("accounts/signup/", account_views.signup_eligibility, name="account_signup"),
    path("accounts/signup/account/", account_views.member_signup, name="member_signup_account"),
    path(
        "accounts/signup/details/",
        account_views.private_details,
        name="member_private_details",
    ),
    path(
        "accounts/confirm-email/<str:key>/",
        account_views.confirm_email,
        name="account_confirm_email",
    ),
    # Her data rights reach into every app, so their pages are the site's.
    path("accounts/profile/export/", village_views.export_my_data, name="export_my_data"),
    path("accounts/profile/close/", village_views.close_my_account, name="close_my_account"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("volunteers.urls")),
    path("accounts/", include("allauth.urls")),
    path("staff/volunteers/", include("volunteers.staff_urls")),
    # A person's page changes her role, which may end her volunteering.
    path("staff/people/<int:user_id>/", volunteer_views.person, name="staff_person"),
    path("staff/", include("accounts.staff_urls")),
    path("staff/audit/", include("moderation.urls")),
    path("staff/moderation/", include("moderation.staff_urls")),
    path("staff/queue/", include("chat.queue_urls")),
    path("concerns/new/", moderation_views.raise_concern, name="raise_concern"),
    path("warnings/<int:warning_id>/seen/", moderation_views.warning_seen, name="warning_seen"),
    path("", include("intake.urls")),
    path("", include("outcomes.urls")),
    path("staff/reports/", include("outcomes.staff_urls")),
    path("admin/", admin.site.urls),
    path("healthz/", include("village.health")),  # load balancer probes (no login)
]

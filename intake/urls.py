"""Referral pages: the public form, triage, and the sign-up link."""

from django.urls import path

from intake import views

urlpatterns = [
    path("refer/", views.refer, name="refer"),
    path("refer/thanks/", views.refer_thanks, name="refer_thanks"),
    path("refer/urgent/", views.refer_urgent, name="refer_urgent"),
    path("join/<str:token>/", views.join_from_referral, name="join_from_referral"),
    path("staff/referrals/", views.staff_referrals, name="staff_referrals"),
    path("staff/referrals/waiting/", views.staff_referrals_waiting, name="staff_referrals_waiting"),
    path("staff/referrals/decided/", views.staff_referrals_decided, name="staff_referrals_decided"),
    path("staff/referrals/<int:referral_id>/", views.staff_referral, name="staff_referral"),
    path(
        "staff/referrals/<int:referral_id>/<str:action>/",
        views.staff_referral_act,
        name="staff_referral_act",
    ),
]

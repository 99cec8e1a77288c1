"""Coordinators' pages for volunteers' records, under /staff/volunteers/."""

from django.urls import path

from volunteers import views

urlpatterns = [
    path("", views.volunteer_list, name="staff_volunteers"),
    path("<int:volunteer_id>/", views.volunteer_record, name="staff_volunteer"),
    path(
        "<int:volunteer_id>/change/<slug:action>/",
        views.volunteer_record_change,
        name="staff_volunteer_change",
    ),
    path(
        "<int:volunteer_id>/hand-over/pairing/<int:pairing_id>/",
        views.hand_over_pairing,
        name="staff_hand_over_pairing",
    ),
    path(
        "<int:volunteer_id>/hand-over/room/<int:room_id>/",
        views.hand_over_room,
        name="staff_hand_over_room",
    ),
    path(
        "debriefs/<int:request_id>/arranged/",
        views.debrief_handled,
        name="staff_debrief_handled",
    ),
]

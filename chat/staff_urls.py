"""Coordinators' pages for rooms and pairings, under /staff/rooms/ (the pairings page
itself, where a volunteer is chosen, is volunteers.views.pairings)."""

from django.urls import path

from chat import staff_views as views

urlpatterns = [
    path("", views.rooms, name="staff_rooms"),
    path("new/", views.room_new, name="staff_room_new"),
    path("<int:room_id>/", views.room_detail, name="staff_room"),
    path("<int:room_id>/edit/", views.room_edit, name="staff_room_edit"),
    path("<int:room_id>/leads/", views.assign_lead, name="staff_room_assign_lead"),
    path("<int:room_id>/members/", views.enrol_member, name="staff_room_enrol_member"),
    path(
        "<int:room_id>/people/<int:user_id>/remove/",
        views.remove_person,
        name="staff_room_remove_person",
    ),
    path(
        "<int:room_id>/requests/<int:request_id>/",
        views.decide_join_request,
        name="staff_room_decide_request",
    ),
    path("pairings/<int:pairing_id>/end/", views.end_pairing, name="staff_pairing_end"),
]

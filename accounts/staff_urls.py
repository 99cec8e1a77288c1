from django.urls import path

from accounts import views, volunteer_views

urlpatterns = [
    path("", views.people, name="staff_people"),
    path("people/<int:user_id>/", views.person, name="staff_person"),
    path(
        "people/<int:user_id>/safeguarding/",
        views.safeguarding_details,
        name="staff_safeguarding_details",
    ),
    path("invite/", views.invite, name="staff_invite"),
]

urlpatterns += [
    path("volunteers/", volunteer_views.volunteer_list, name="staff_volunteers"),
    path(
        "volunteers/<int:volunteer_id>/",
        volunteer_views.volunteer_record,
        name="staff_volunteer",
    ),
    path(
        "volunteers/<int:volunteer_id>/change/<slug:action>/",
        volunteer_views.volunteer_record_change,
        name="staff_volunteer_change",
    ),
    path(
        "volunteers/<int:volunteer_id>/hand-over/pairing/<int:pairing_id>/",
        volunteer_views.hand_over_pairing,
        name="staff_hand_over_pairing",
    ),
    path(
        "volunteers/<int:volunteer_id>/hand-over/room/<int:room_id>/",
        volunteer_views.hand_over_room,
        name="staff_hand_over_room",
    ),
    path(
        "volunteers/debriefs/<int:request_id>/arranged/",
        volunteer_views.debrief_handled,
        name="staff_debrief_handled",
    ),
]

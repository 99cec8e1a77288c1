from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.people, name="staff_people"),
    path(
        "people/<int:user_id>/safeguarding/",
        views.safeguarding_details,
        name="staff_safeguarding_details",
    ),
    path("invite/", views.invite, name="staff_invite"),
]

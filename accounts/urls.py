from django.urls import path

from accounts import views, volunteer_views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/consent/", views.health_consent, name="health_consent"),
    path("profile/export/", views.export_my_data, name="export_my_data"),
    path("profile/close/", views.close_my_account, name="close_my_account"),
    path("volunteering/", volunteer_views.my_volunteering, name="my_volunteering"),
    path("debrief/<int:flag_id>/", volunteer_views.answer_debrief, name="answer_debrief"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
]

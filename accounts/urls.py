from django.urls import path

from accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/consent/", views.health_consent, name="health_consent"),
    path("profile/export/", views.export_my_data, name="export_my_data"),
    path("profile/close/", views.close_my_account, name="close_my_account"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
]

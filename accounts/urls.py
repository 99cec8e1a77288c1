from django.urls import path

from accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/consent/", views.health_consent, name="health_consent"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
]

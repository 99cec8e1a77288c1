"""A volunteer's own pages, under /accounts/ (their paths and names are older than the app)."""

from django.urls import path

from volunteers import views

urlpatterns = [
    path("volunteering/", views.my_volunteering, name="my_volunteering"),
    path("debrief/<int:flag_id>/", views.answer_debrief, name="answer_debrief"),
]

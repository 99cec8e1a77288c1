"""Coordinators' verdicts on screening, under the "moderation" namespace
(included from moderation.staff_urls: /staff/moderation/...)."""

from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("messages/<int:message_id>/missed/", views.mark_missed, name="mark_missed"),
]

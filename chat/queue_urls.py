from django.urls import path

from chat import queue_views

urlpatterns = [
    path("", queue_views.queue, name="moderation_queue"),
    path("flags/<int:flag_id>/<str:action>/", queue_views.act, name="flag_act"),
    path("flags/<int:flag_id>/sanction/<str:action>/", queue_views.sanction, name="flag_sanction"),
    path("mutes/<int:mute_id>/lift/", queue_views.lift_mute, name="lift_mute"),
]

from django.urls import path

from outcomes import views

urlpatterns = [
    path("questions/<int:questionnaire_id>/", views.questionnaire, name="questionnaire"),
    path("feedback/<int:feedback_id>/", views.feedback, name="feedback"),
    path("my-progress/", views.my_scores, name="my_scores"),
    path("questions/before-leaving/", views.before_leaving, name="before_leaving"),
    path("staff/outcomes/", views.outcome_settings, name="staff_outcome_settings"),
    path("staff/outcomes/wording/<slug:slug>/", views.enter_wording, name="staff_measure_wording"),
]

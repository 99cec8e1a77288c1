from django.urls import path

from moderation import views

urlpatterns = [path("", views.audit_log, name="audit_log")]

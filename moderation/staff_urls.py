"""Coordinators' pages for the moderation rules and settings, under /staff/moderation/."""

from django.urls import include, path

from moderation import staff_views as views

urlpatterns = [
    path("rules/", views.rules, name="moderation_rules"),
    path("rules/new/", views.rule_new, name="moderation_rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="moderation_rule"),
    path("rules/<int:rule_id>/switch/", views.rule_switch, name="moderation_rule_switch"),
    path("settings/", views.site_settings_page, name="moderation_settings"),
    # moderation:mark_missed, /staff/moderation/messages/<id>/missed/
    path("", include("moderation.label_urls")),
]

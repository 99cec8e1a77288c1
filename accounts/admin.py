"""Admin for site configuration. Roles change on the staff pages (audited), not here;
safeguarding details are never shown here (they open only through an audited action)."""

from django import forms
from django.contrib import admin

from accounts import display_names
from accounts.models import Invitation, User


class UserAdminForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "is_active"]

    def clean_display_name(self) -> str:
        # The same rules as everywhere a name is chosen, for the role she has.
        return display_names.check_display_name(
            self.cleaned_data["display_name"], role=self.instance.role, person=self.instance
        )


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserAdminForm
    list_display = ["display_name", "email", "role", "is_superuser", "is_active"]
    list_filter = ["role", "is_active", "is_superuser"]
    search_fields = ["display_name", "email"]
    fields = [
        "email",
        "display_name",
        "role",
        "is_active",
        "is_superuser",
        "date_joined",
        "last_login",
    ]
    readonly_fields = ["email", "role", "is_superuser", "date_joined", "last_login"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Accounts are anonymised in place, never deleted: the audit log refers to them.
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "invited_by", "created_at", "expires_at", "accepted_by"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

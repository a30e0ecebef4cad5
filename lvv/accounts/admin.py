from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from lvv.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "organisation", "roles", "is_active", "last_login"]
    list_filter = ["organisation", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        *BaseUserAdmin.fieldsets[:2],
        (_("Organisatie en rollen"), {"fields": ["organisation", "roles"]}),
        *BaseUserAdmin.fieldsets[2:],
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Organisatie en rollen"), {"fields": ["organisation", "roles", "email"]}),
    ]

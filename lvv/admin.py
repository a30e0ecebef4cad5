"""What the apps' admin pages share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Functional managers can look; rows change only through the services. Every field is
    shown read-only, but for those the admin ``exclude``s."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        excluded = self.exclude or ()
        return [f.name for f in self.model._meta.fields if f.name not in excluded]

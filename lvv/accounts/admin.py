import knox.admin  # noqa: F401  (registers knox's own token admin, replaced below)
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from knox.models import AuthToken

from lvv.accounts import tokens
from lvv.accounts.models import ApiToken, User
from lvv.audit.log import Origin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "organisation", "roles", "is_active", "last_login"]
    list_filter = ["organisation", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["organisation"]
    actions = ["revoke_api_tokens"]
    fieldsets = [
        *BaseUserAdmin.fieldsets[:2],
        (_("Organisatie en rollen"), {"fields": ["organisation", "roles"]}),
        *BaseUserAdmin.fieldsets[2:],
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Organisatie en rollen"), {"fields": ["organisation", "roles", "email"]}),
    ]

    @admin.action(description=_("API-tokens van de gekozen gebruikers intrekken"), permissions=["change"])
    def revoke_api_tokens(self, request, queryset):
        revoked = 0
        for token in ApiToken.objects.filter(user__in=queryset).select_related("user"):
            tokens.revoke(token, actor=request.user, origin=Origin.from_request(request))
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d API-token ingetrokken.", "%(count)d API-tokens ingetrokken.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )


# knox's admin lets a manager make a token for anyone and shows its key: not here.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Functional managers see and revoke (delete) tokens; nobody makes one here.

    A token is issued only to its own user (the token page, after the TOTP step) or by the
    server's operator (``manage.py drf_create_token``), so no manager ever sees another
    user's key."""

    list_display = ["token_key", "user", "name", "created", "expiry"]
    list_filter = ["expiry"]
    search_fields = ["user__username", "name", "token_key"]
    fields = ["user", "token_key", "name", "created", "expiry"]
    readonly_fields = fields
    list_select_related = ["user"]
    ordering = ["-created"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        tokens.revoke(obj, actor=request.user, origin=Origin.from_request(request))

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            tokens.revoke(token, actor=request.user, origin=Origin.from_request(request))

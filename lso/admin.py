"""Functional management of the LSO: its members per LVV. Meetings, agendas and minutes
hold case data and change only through ``lso.services`` (pages and API), never here."""

from django.contrib import admin

from lso.models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["location", "organisation", "user", "is_chair"]
    list_filter = ["location", "is_chair"]
    search_fields = ["organisation__name", "user__username", "user__last_name"]
    autocomplete_fields = ["organisation", "user"]
    list_select_related = ["location", "organisation", "user"]

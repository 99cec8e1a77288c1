"""Village's allauth adapter: allauth's one customisation point."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from infra.client_address import client_address


class VillageAccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's per-address login limits count what infra.client_address
        # says, so a forged X-Forwarded-For cannot give each guess a new address.
        return client_address(request)

"""Referral pages: the public form, triage, and the sign-up link."""

urlpatterns: list = []

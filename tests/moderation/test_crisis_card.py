from django.urls import reverse

from moderation.crisis import TEAM_TOLD, crisis_card


def test_help_page_shows_the_crisis_card_to_anyone_without_saying_the_team_was_told(client, db):
    page = client.get(reverse("crisis_card")).content.decode()
    assert "116 123" in page and "85258" in page and "0808 2000 247" in page
    assert "call 999" in page
    assert "not an emergency service" in page
    assert "let the team know" not in page


def test_card_after_a_flag_adds_that_the_team_was_told():
    assert crisis_card(after_flag=True).paragraphs[-1] == TEAM_TOLD
    assert TEAM_TOLD not in crisis_card().paragraphs


def test_every_page_has_the_crisis_link_and_quick_exit_before_its_content(client, db):
    for url in ("/", reverse("account_login"), reverse("account_signup"), reverse("crisis_card")):
        page = client.get(url).content.decode()
        header = page.split("<main")[0]
        assert 'href="/help/"' in header, url
        assert "data-quick-exit" in header, url

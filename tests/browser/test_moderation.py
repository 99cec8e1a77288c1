"""A RED message in the group, in four browsers: Amy, Beth, Val and Cora."""

from playwright.sync_api import expect

from moderation.models import Flag

RED = "I don't want to be here anymore"


def test_red_message_is_held_highlighted_carded_and_acknowledged_live(
    four_in_the_group, coordinator
):
    amy, beth, val, cora = four_in_the_group

    def write_red(page):
        page.get_by_label("Your message").fill(RED)
        page.get_by_role("button", name="Send").click()
        card = page.get_by_role("alertdialog")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Samaritans on 116 123")
        expect(card).to_contain_text("We've let the team know")
        expect(page.locator(".msg.status-held")).to_contain_text("shared with the volunteers")

    amy(write_red)
    val(lambda page: expect(page.locator(".msg.flag-red").filter(has_text=RED)).to_be_visible())
    val(lambda page: expect(page.locator(".msg.flag-red")).to_contain_text("Urgent"))
    cora(lambda page: expect(page.locator("[data-flag-id]").filter(has_text=RED)).to_be_visible())
    beth(lambda page: page.wait_for_timeout(500))
    assert beth(lambda page: page.locator(".msg").filter(has_text=RED).count()) == 0
    assert beth(lambda page: page.get_by_role("alertdialog").is_visible()) is False

    cora(lambda page: page.get_by_role("button", name="I'm on it").click())
    cora(lambda page: expect(page.get_by_text("Cora is on it")).to_be_visible())
    assert Flag.objects.get().acknowledged_by == coordinator

def test_side_effects_typo_through_webhook(phone):
    reply = phone.text("side efects")
    assert reply and "flu" in reply

"""Shared by the tests of texts a notice must not give away (special-category texts, special
case types): the in-app notices and the e-mail digests built from them."""

from __future__ import annotations

from django.core import mail

from cases import notifications
from cases.models import Notification


def assert_notices_do_not_quote(capture, *texts: str) -> None:
    """There are in-app notices, and neither they nor the e-mail digests built from them (sent
    with ``capture``, the on-commit callbacks' fixture) hold any of ``texts``."""
    notices = Notification.objects.all()
    assert notices.exists()
    assert not [n.message for n in notices if any(text in n.message for text in texts)]
    mail.outbox.clear()
    with capture(execute=True):
        for user_id in sorted(set(notices.values_list("user", flat=True))):
            notifications.send_digest(user_id=user_id)
    assert mail.outbox
    for message in mail.outbox:
        body = message.body + "".join(str(part) for part, _type in message.alternatives)
        assert not [text for text in texts if text in body]

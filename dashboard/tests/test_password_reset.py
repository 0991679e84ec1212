"""Passwords reset without the old one: "forgot password" mails a one-time link (through a real
SMTP server on loopback) that expires, works once, only on its tenant's host, and gives away
nothing about which addresses have accounts; admins give a user a generated password shown once
from /manage/users/."""

from __future__ import annotations

import re
import time

import pytest

from accounts.models import User
from accounts.tasks import password_reset_mail_send_task
from accounts.tests.factories import AdminFactory, UserFactory, users_with_the_same_id
from conftest import host_client, sign_in, signed_in_client
from tenants.tenancy import tenant_scope
from tests.support.smtp_sink import smtp_sink

NEW_PASSWORD = "Fresh-Password-2026"
LINK = re.compile(r"http://[^\s/]+(/accounts/password/reset/[^\s/]+/[^\s/]+/)")


@pytest.fixture
def mailbox(settings):
    with smtp_sink(settings) as messages:
        yield messages


def _ask(fixture, email, django_capture_on_commit_callbacks, client=None):
    """POST the form; run the mail task that was enqueued on commit, as a worker would."""
    client = client or host_client(fixture.host)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/accounts/password/forgot/", {"email": email})
    with tenant_scope(fixture.tenant):
        for callback in callbacks:
            password_reset_mail_send_task.apply(**callback.keywords).get()
    return response


def _link(message) -> str:
    match = LINK.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)


def _agent(fixture, **fields):
    with tenant_scope(fixture.tenant):
        return UserFactory(**fields)


def test_the_sign_in_page_links_to_forgot_password(alpha):
    page = host_client(alpha.host).get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/forgot/"' in page


def test_a_known_address_gets_a_link_that_sets_a_new_password_once(
    alpha, mailbox, django_capture_on_commit_callbacks
):
    agent = _agent(alpha, email="ana@alpha.test")
    elsewhere = signed_in_client(alpha, agent)

    answer = _ask(alpha, "Ana@Alpha.test", django_capture_on_commit_callbacks)

    assert answer.status_code == 200
    assert len(mailbox) == 1
    assert mailbox[0]["To"] == "ana@alpha.test"
    link = _link(mailbox[0])
    assert mailbox[0].get_content().count(f"http://{alpha.host}{link}") == 1
    browser = host_client(alpha.host)
    assert browser.get(link).status_code == 200
    done = browser.post(link, {"new_password": NEW_PASSWORD})
    assert done.status_code == 302
    sign_in(host_client(alpha.host), agent.email, NEW_PASSWORD)
    assert elsewhere.get("/").status_code == 302  # every session of the user ended
    # single use: the link stops working once the password changed
    again = browser.post(link, {"new_password": "Another-Password-99"})
    assert again.status_code == 400
    assert 'data-testid="password-reset-invalid"' in again.content.decode()
    with tenant_scope(alpha.tenant):
        assert User.objects.get(pk=agent.pk).check_password(NEW_PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    alpha, mailbox, django_capture_on_commit_callbacks
):
    _agent(alpha, email="ana@alpha.test")

    known = _ask(alpha, "ana@alpha.test", django_capture_on_commit_callbacks)
    unknown = _ask(alpha, "nobody@alpha.test", django_capture_on_commit_callbacks)

    assert (known.status_code, unknown.status_code) == (200, 200)
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", known.content.decode()) == csrf.sub("", unknown.content.decode())
    assert [m["To"] for m in mailbox] == ["ana@alpha.test"]


def test_a_deactivated_user_gets_no_mail(alpha, mailbox, django_capture_on_commit_callbacks):
    _agent(alpha, email="gone@alpha.test", is_active=False)

    assert _ask(alpha, "gone@alpha.test", django_capture_on_commit_callbacks).status_code == 200

    assert mailbox == []


def test_the_link_expires(alpha, mailbox, settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_RESET_TIMEOUT = 0
    agent = _agent(alpha, email="ana@alpha.test")
    _ask(alpha, agent.email, django_capture_on_commit_callbacks)

    time.sleep(1.1)
    expired = host_client(alpha.host).post(_link(mailbox[0]), {"new_password": NEW_PASSWORD})

    assert expired.status_code == 400
    with tenant_scope(alpha.tenant):
        assert not User.objects.get(pk=agent.pk).check_password(NEW_PASSWORD)


def test_a_link_of_one_tenant_does_nothing_on_another(
    alpha, beta, mailbox, django_capture_on_commit_callbacks
):
    agent, twin = users_with_the_same_id(alpha.tenant, beta.tenant)
    _ask(alpha, agent.email, django_capture_on_commit_callbacks)

    on_beta = host_client(beta.host).post(_link(mailbox[0]), {"new_password": NEW_PASSWORD})

    assert on_beta.status_code == 400
    with tenant_scope(beta.tenant):
        assert not User.objects.get(pk=twin.pk).check_password(NEW_PASSWORD)
    on_alpha = host_client(alpha.host).post(_link(mailbox[0]), {"new_password": NEW_PASSWORD})
    assert on_alpha.status_code == 302


def test_an_address_gets_few_mails_and_a_busy_address_is_locked_out(
    alpha, mailbox, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_REQUESTS_PER_EMAIL = 2
    settings.LOGIN_FAILURES_PER_IP = 4
    agent = _agent(alpha, email="ana@alpha.test")

    answers = [
        _ask(alpha, agent.email, django_capture_on_commit_callbacks).status_code for _ in range(4)
    ]
    locked = _ask(alpha, agent.email, django_capture_on_commit_callbacks)

    assert answers == [200, 200, 200, 200]
    assert len(mailbox) == 2
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0


def test_guessing_links_locks_the_address_out(alpha, settings):
    settings.LOGIN_FAILURES_PER_IP = 3
    client = host_client(alpha.host)

    codes = [client.get(f"/accounts/password/reset/MQ/guess-{n}/").status_code for n in range(4)]

    assert codes == [400, 400, 400, 429]


def test_an_admin_gives_a_user_a_generated_password_shown_once(alpha):
    with tenant_scope(alpha.tenant):
        admin, agent = AdminFactory(), UserFactory()
    agent_browser = signed_in_client(alpha, agent)
    client = signed_in_client(alpha, admin)

    response = client.post(f"/manage/users/{agent.pk}/password/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    password = re.search(r'<code class="password-once">([^<]+)</code>', response.content.decode())
    assert password
    sign_in(host_client(alpha.host), agent.email, password.group(1))
    assert agent_browser.get("/").status_code == 302
    assert password.group(1) not in client.get(f"/manage/users/{agent.pk}/").content.decode()


def test_agents_cannot_reset_passwords_and_other_tenants_users_are_not_found(alpha, beta):
    with tenant_scope(alpha.tenant):
        agent, colleague = UserFactory(), UserFactory()
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()

    by_agent = signed_in_client(alpha, agent).post(f"/manage/users/{colleague.pk}/password/")
    from_beta = signed_in_client(beta, beta_admin).post(
        f"/manage/users/{colleague.pk + 1000}/password/"
    )

    assert by_agent.status_code == 403
    assert from_beta.status_code == 404
    sign_in(host_client(alpha.host), colleague.email)  # the old password still works

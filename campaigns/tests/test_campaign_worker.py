"""Through a real Celery worker on the ``bulk`` queue and the simulated Bot API: cancel while
the worker is mid-batch sends nothing after it commits; pause and resume send everyone exactly
once; a killed worker's campaign is taken over without sending anyone twice; a campaign with an
image reaches everyone once as a photo with the caption for them, and cancelled midway sends
nothing more."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from campaigns.models import Campaign, CampaignRecipient
from campaigns.services import (
    CampaignInput,
    campaign_cancel,
    campaign_media_upload,
    campaign_pause,
    campaign_resume,
    campaign_start,
    campaign_update,
)
from campaigns.tasks import campaigns_sweep_task
from campaigns.tests.conftest import draft_campaign, telegram_audience
from campaigns.tests.test_campaign_media import PNG
from connections.models import ChannelConnection
from contacts.models import Contact
from simulator import Simulator
from simulator.server import Faults
from tenants.channel_routes import channel_routes_clear
from tenants.tenancy import tenant_scope
from tests.support.celery_worker import celery_worker_running
from tests.support.concurrency import in_thread

pytestmark = pytest.mark.slow
State = CampaignRecipient.State


@pytest.fixture(scope="module")
def module_sim():
    simulator = Simulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def worker_env(module_sim, settings):
    settings.TELEGRAM_API_BASE_URL = module_sim.telegram_base_url
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TELEGRAM_API_BASE_URL", module_sim.telegram_base_url)
        patch.setenv("CAMPAIGN_RUNNER_LEASE_SECONDS", "2")
        patch.setenv("CAMPAIGN_CLAIM_SECONDS", "2")
        patch.setenv("CAMPAIGN_RUN_SECONDS", "5")
        yield module_sim


@pytest.fixture
def bulk_worker(worker_env, tmp_path):
    with celery_worker_running(tmp_path / "worker.log"):
        yield worker_env


def _wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _seed(tenant, count, per_minute, name, *, image=False):
    def seed():
        with tenant_scope(tenant):
            audience = telegram_audience(count, prefix=name)
            campaign = draft_campaign(audience, per_minute=per_minute, name=name)
            if image:
                upload = SimpleUploadedFile("foto.png", PNG, content_type="image/png")
                media = campaign_media_upload(file=upload)
                campaign = campaign_update(
                    campaign=campaign,
                    data=CampaignInput(
                        name=name,
                        connection=audience.connection,
                        variants=["Foto para {{contact.first_name}}"],
                        media=[media.public_id],
                        per_minute=per_minute,
                    ),
                )
            return audience, campaign

    return in_thread(seed)


def _cleanup(tenant, audience, campaign):
    def cleanup():
        with tenant_scope(tenant):
            Campaign.objects.filter(pk=campaign.pk).delete()
            Contact.objects.filter(pk__in=[c.pk for c in audience.contacts]).delete()
            ChannelConnection.objects.filter(pk=audience.connection.pk).delete()
            User.objects.filter(pk=audience.admin.pk).delete()
            # Its routes live in the public schema, where later tests list alpha's routes.
            channel_routes_clear(connection_public_id=audience.connection.public_id)

    in_thread(cleanup)


def _in(tenant, func):
    def run():
        with tenant_scope(tenant):
            return func()

    return in_thread(run)


def _states(tenant, campaign):
    return _in(
        tenant,
        lambda: Counter(
            CampaignRecipient.objects.filter(campaign=campaign).values_list("state", flat=True)
        ),
    )


def _pid_of(nodename):
    """The pid of the worker this test started with ``-n nodename``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if nodename.encode() in args and b"worker" in args:
            return int(entry.name)
    raise AssertionError(f"no process runs worker {nodename}")


def _sends(sim, audience):
    return [r for r in sim.sends() if r.account == audience.token]


def test_cancel_while_the_worker_is_mid_batch_sends_nothing_after_it(alpha, bulk_worker):
    worker_sim = bulk_worker
    tenant = alpha.tenant
    audience, campaign = _seed(tenant, 40, 240, "Cancel")
    # Every call takes 0.3 s: the worker is inside a provider call most of the time.
    worker_sim.account_faults[audience.token] = Faults(latency=0.3)
    try:
        _in(tenant, lambda: campaign_start(campaign=campaign))
        assert _wait_for(lambda: len(_sends(worker_sim, audience)) >= 5)
        _in(tenant, lambda: campaign_cancel(campaign=campaign))
        cancelled_at = time.time()
        time.sleep(2.0)  # time for anything still queued to (wrongly) go out
        states = _states(tenant, campaign)
        sends = _sends(worker_sim, audience)
    finally:
        _cleanup(tenant, audience, campaign)

    assert sends, "nothing was sent before the cancel"
    assert max(r.at for r in sends) <= cancelled_at
    # What the provider accepted is exactly what the rows say was sent; the rest is cancelled.
    assert states[State.SENT] == len(sends)
    assert states[State.CANCELLED] == 40 - len(sends)
    assert set(Counter(str(r.body["chat_id"]) for r in sends).values()) == {1}


def test_pause_and_resume_send_everyone_exactly_once(alpha, bulk_worker):
    worker_sim = bulk_worker
    tenant = alpha.tenant
    audience, campaign = _seed(tenant, 20, 300, "Pause")
    try:
        _in(tenant, lambda: campaign_start(campaign=campaign))
        assert _wait_for(lambda: len(_sends(worker_sim, audience)) >= 5)
        _in(tenant, lambda: campaign_pause(campaign=campaign))
        paused_at = time.time()
        at_pause = len(_sends(worker_sim, audience))
        time.sleep(1.5)
        during_pause = [r for r in _sends(worker_sim, audience) if r.at > paused_at]
        _in(tenant, lambda: campaign_resume(campaign=campaign))
        finished = _wait_for(
            lambda: (
                _in(tenant, lambda: Campaign.objects.get(pk=campaign.pk).status)
                == Campaign.Status.FINISHED
            )
        )
        states = _states(tenant, campaign)
        sends = _sends(worker_sim, audience)
    finally:
        _cleanup(tenant, audience, campaign)

    assert during_pause == []
    assert at_pause < 20
    assert finished
    assert states == Counter({State.SENT: 20})
    by_chat = Counter(str(r.body["chat_id"]) for r in sends)
    assert sorted(by_chat) == sorted(audience.chat_ids())
    assert set(by_chat.values()) == {1}


def test_a_killed_worker_is_taken_over_without_sending_anyone_twice(alpha, worker_env, tmp_path):
    worker_sim = worker_env
    tenant = alpha.tenant
    audience, campaign = _seed(tenant, 30, 600, "Kill")
    worker_sim.account_faults[audience.token] = Faults(latency=0.1)
    try:
        with celery_worker_running(tmp_path / "first.log") as node:
            _in(tenant, lambda: campaign_start(campaign=campaign))
            assert _wait_for(lambda: len(_sends(worker_sim, audience)) >= 8)
            # A busy solo worker answers no control message: its pid from its command line.
            os.kill(_pid_of(node), signal.SIGKILL)  # no warm shutdown: mid-batch, maybe mid-call
        killed_at = len(_sends(worker_sim, audience))
        time.sleep(2.5)  # the dead sender's lease and claim run out
        with celery_worker_running(tmp_path / "second.log"):
            _in(tenant, lambda: campaigns_sweep_task.apply_async(queue="default"))
            finished = _wait_for(
                lambda: (
                    _in(tenant, lambda: Campaign.objects.get(pk=campaign.pk).status)
                    == Campaign.Status.FINISHED
                )
            )
        states = _states(tenant, campaign)
        sends = _sends(worker_sim, audience)
    finally:
        _cleanup(tenant, audience, campaign)

    assert 8 <= killed_at < 30
    assert finished
    by_chat = Counter(str(r.body["chat_id"]) for r in sends)
    assert set(by_chat.values()) == {1}, "someone got the campaign twice"
    # At most the one recipient whose call the kill interrupted is failed (it may have gone
    # out), never sent again; everyone else was sent exactly once.
    assert states[State.FAILED] <= 1
    assert states[State.SENT] + states[State.FAILED] == 30
    assert len(sends) in (states[State.SENT], states[State.SENT] + 1)


def test_an_image_campaign_reaches_everyone_once_as_a_photo_with_their_caption(alpha, bulk_worker):
    worker_sim = bulk_worker
    tenant = alpha.tenant
    audience, campaign = _seed(tenant, 6, 600, "Foto", image=True)
    names = {f"9{c.pk:07d}": c.name.split()[0] for c in audience.contacts}
    try:
        _in(tenant, lambda: campaign_start(campaign=campaign))
        finished = _wait_for(
            lambda: (
                _in(tenant, lambda: Campaign.objects.get(pk=campaign.pk).status)
                == Campaign.Status.FINISHED
            )
        )
        states = _states(tenant, campaign)
        sends = _sends(worker_sim, audience)
    finally:
        _cleanup(tenant, audience, campaign)

    assert finished
    assert states == Counter({State.SENT: 6})
    assert {r.method for r in sends} == {"sendPhoto"}
    by_chat = Counter(str(r.body["chat_id"]) for r in sends)
    assert sorted(by_chat) == sorted(names)
    assert set(by_chat.values()) == {1}
    assert {str(r.body["chat_id"]): r.body["caption"] for r in sends} == {
        chat: f"Foto para {first}" for chat, first in names.items()
    }


def test_a_cancelled_image_campaign_sends_nothing_more(alpha, bulk_worker):
    worker_sim = bulk_worker
    tenant = alpha.tenant
    audience, campaign = _seed(tenant, 30, 240, "FotoCancel", image=True)
    worker_sim.account_faults[audience.token] = Faults(latency=0.3)
    try:
        _in(tenant, lambda: campaign_start(campaign=campaign))
        assert _wait_for(lambda: len(_sends(worker_sim, audience)) >= 3)
        _in(tenant, lambda: campaign_cancel(campaign=campaign))
        cancelled_at = time.time()
        time.sleep(2.0)  # time for anything still queued to (wrongly) go out
        states = _states(tenant, campaign)
        sends = _sends(worker_sim, audience)
    finally:
        _cleanup(tenant, audience, campaign)

    assert {r.method for r in sends} == {"sendPhoto"}
    assert max(r.at for r in sends) <= cancelled_at
    assert states[State.SENT] == len(sends)
    assert states[State.CANCELLED] == 30 - len(sends)

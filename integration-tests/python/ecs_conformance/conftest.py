"""Fixtures of the ECS conformance suite: one simulator per session, SDK clients per flavour."""

import pytest

from .simkit import Simulator
from . import sdks


@pytest.fixture(scope="session")
def sim():
    simulator = Simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(params=["v3", "v2"])
def new_sdk(request, sim):
    """alibabacloud-ecs20140526 with its default V3 signing and with RPC signature v2/v1."""
    return sdks.new_client(sim.endpoint, request.param)


@pytest.fixture
def old_sdk(sim):
    """aliyun-python-sdk-ecs on aliyun-python-sdk-core (RPC signature v1)."""
    return sdks.OldSdk(sim.endpoint)

"""The two official Alibaba Cloud Python SDKs, pointed at the simulator over plain HTTP."""

import importlib
import json

from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi import models as openapi_models
from Tea.model import TeaModel
from aliyunsdkcore.client import AcsClient

from .simkit import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION


def new_client(endpoint, algorithm, key_id=ACCESS_KEY_ID, secret=ACCESS_KEY_SECRET, token=None):
    """alibabacloud-ecs20140526; `algorithm` is "v3" (the SDK default) or "v2" (RPC v1)."""
    config = openapi_models.Config(
        access_key_id=key_id,
        access_key_secret=secret,
        security_token=token,
        endpoint=endpoint,
        protocol="http",
        region_id=REGION,
    )
    if algorithm == "v2":
        config.signature_algorithm = "v2"
    return EcsClient(config)


class OldSdk:
    """aliyun-python-sdk-ecs requests sent by aliyun-python-sdk-core's AcsClient."""

    def __init__(self, endpoint, key_id=ACCESS_KEY_ID, secret=ACCESS_KEY_SECRET):
        self.endpoint = endpoint
        self.client = AcsClient(key_id, secret, REGION, auto_retry=False)

    def request(self, action, **setters):
        module = importlib.import_module(f"aliyunsdkecs.request.v20140526.{action}Request")
        request = getattr(module, f"{action}Request")()
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        for name, value in setters.items():
            getattr(request, f"set_{name}")(value)
        return request

    def call(self, action, **setters):
        """Runs one action through the SDK's setters; returns the decoded JSON body."""
        body = self.client.do_action_with_exception(self.request(action, **setters))
        return json.loads(body)


def missing_fields(model, allowed=(), path="body"):
    """Paths of fields a parsed SDK model left unset: a response field the simulator does not
    send under the name the SDK reads. `allowed` names fields the simulator leaves out on
    purpose (matched against the attribute name)."""
    missing = []
    for name, value in vars(model).items():
        here = f"{path}.{name}"
        if value is None:
            if name not in allowed:
                missing.append(here)
        elif isinstance(value, TeaModel):
            missing.extend(missing_fields(value, allowed, here))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, TeaModel):
                    missing.extend(missing_fields(item, allowed, f"{here}[{i}]"))
    return missing


def assert_filled(response, allowed=()):
    """The SDK parsed the response into its model and every field is set."""
    assert response.status_code == 200
    assert response.body.request_id, "RequestId missing"
    missing = missing_fields(response.body, allowed)
    assert not missing, f"fields the SDK model found no value for: {missing}"

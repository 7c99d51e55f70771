"""Mutual TLS wiring: the certificates the chart makes (or asks cert-manager for) carry the
identities the gateway's allow-list names, and the names the controllers dial."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import urllib.parse

import helm_python as helm
import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

import chartkit
from chartkit import CI_VALUES

PREFIX = "storage-snapshot-manager"


def _args(rendered, component):
    deployment = rendered.get("Deployment", f"{PREFIX}-{component}")
    return deployment["spec"]["template"]["spec"]["containers"][0]["args"]


def _flag(args, flag):
    values = [a.split("=", 1)[1] for a in args if a.startswith(f"--{flag}=")]
    assert len(values) == 1, f"--{flag} given {len(values)} times in {args}"
    return values[0]


def _callers(rendered):
    config = rendered.get("ConfigMap", f"{PREFIX}-ecs-gateway-callers")
    return yaml.safe_load(config["data"]["callers.yaml"])["callers"]


def _cert(secret, key="tls.crt"):
    return x509.load_pem_x509_certificate(base64.b64decode(secret["data"][key]))


def _dns_names(cert):
    return cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)


def _usages(cert):
    return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def _gateway_host(rendered, component="policy-listener"):
    return urllib.parse.urlsplit(_flag(_args(rendered, component), "gateway-endpoint")).hostname


@pytest.mark.parametrize("name", ["default", "access-key", "existing-secret", "minimal"])
def test_generated_certificates_name_the_callers_the_allow_list_lists(renders, name):
    rendered = renders[name]
    ca = _cert(rendered.get("Secret", f"{PREFIX}-ca"))
    callers = {c["identity"]: c for c in _callers(rendered)}

    gateway_secret = rendered.get("Secret", f"{PREFIX}-ecs-gateway-tls")
    gateway = _cert(gateway_secret)
    gateway.verify_directly_issued_by(ca)
    assert _cert(gateway_secret, "ca.crt") == ca
    assert ExtendedKeyUsageOID.SERVER_AUTH in _usages(gateway)
    assert _gateway_host(rendered) in _dns_names(gateway)

    for component in chartkit.CONTROLLERS:
        secret = rendered.get("Secret", f"{PREFIX}-{component}-tls")
        cert = _cert(secret)
        cert.verify_directly_issued_by(ca)
        assert _cert(secret, "ca.crt") == ca, "the controller must trust the gateway's CA"
        assert ExtendedKeyUsageOID.CLIENT_AUTH in _usages(cert)
        [identity] = _dns_names(cert)
        assert identity in callers, f"{component} presents {identity}, not in the allow-list"
        assert _gateway_host(rendered, component) == _gateway_host(rendered)


@pytest.mark.parametrize("name", ["rrsa-cert-manager", "ha"])
def test_cert_manager_certificates_name_the_callers_the_allow_list_lists(renders, name):
    rendered = renders[name]
    certificates = {m.name: m.obj["spec"] for m in rendered.of_kind("Certificate")}
    callers = {c["identity"] for c in _callers(rendered)}

    ca = certificates.pop(f"{PREFIX}-ca")
    assert ca["isCA"] is True
    gateway = certificates.pop(f"{PREFIX}-ecs-gateway")
    assert _gateway_host(rendered) in gateway["dnsNames"]
    assert "server auth" in gateway["usages"]

    assert set(certificates) == {f"{PREFIX}-{c}" for c in chartkit.CONTROLLERS}
    for component in chartkit.CONTROLLERS:
        spec = certificates[f"{PREFIX}-{component}"]
        assert spec["secretName"] == f"{PREFIX}-{component}-tls"
        assert spec["usages"][0] == "client auth"
        assert spec["issuerRef"]["name"] == f"{PREFIX}-ca"
        assert len(spec["commonName"]) <= 64, "cert-manager refuses longer common names"
        [identity] = spec["dnsNames"]
        assert identity in callers

    assert rendered.of_kind("Secret") == [], "cert-manager owns every TLS secret"


def test_cert_manager_issuer_is_self_signed_unless_one_is_given(renders):
    def issuers(rendered):
        return sorted(m.name for m in rendered.of_kind("Issuer"))

    assert issuers(renders["rrsa-cert-manager"]) == [f"{PREFIX}-ca", f"{PREFIX}-selfsigned"]
    assert issuers(renders["ha"]) == [f"{PREFIX}-ca"]
    ca = renders["ha"].get("Certificate", f"{PREFIX}-ca")
    assert ca["spec"]["issuerRef"] == {"name": "cluster-ca", "kind": "ClusterIssuer",
                                       "group": "cert-manager.io"}


@pytest.mark.parametrize("name", sorted(CI_VALUES))
def test_allow_list_grants_each_controller_its_configured_rpcs(renders, name):
    rendered = renders[name]
    values = CI_VALUES[name]
    token_review = values.get("ecsGateway", {}).get("auth", {}).get("tokenReview", {}).get(
        "enabled", False)
    callers = _callers(rendered)
    identities = [c["identity"] for c in callers]
    assert len(identities) == len(set(identities)), "the gateway refuses duplicate identities"

    defaults = yaml.safe_load((chartkit.CHART_DIR / "values.yaml").read_text())
    for component, key in (("policy-listener", "policyListener"),
                           ("pvc-reconciler", "pvcReconciler"),
                           ("snapshot-reconciler", "snapshotReconciler")):
        expected = values.get(key, {}).get("gateway", defaults[key]["gateway"])
        mine = [c for c in callers if f"{PREFIX}-{component}" in c["identity"]]
        assert len(mine) == (2 if token_review else 1), f"{name}/{component}: {mine}"
        for entry in mine:
            assert set(entry) == {"identity", "rpcs", "weight"}
            assert entry["rpcs"] == expected["rpcs"]
            assert entry["weight"] == expected["weight"]
        if token_review:
            assert f"system:serviceaccount:{chartkit.NAMESPACE}:{PREFIX}-{component}" in (
                c["identity"] for c in mine)

    for extra in values.get("ecsGateway", {}).get("extraCallers", []):
        assert {**extra, "weight": extra.get("weight", 1)} in callers


def test_token_review_wiring(renders):
    rendered = renders["access-key"]
    gateway_args = _args(rendered, "ecs-gateway")
    audience = _flag(gateway_args, "token-audiences")
    assert "--token-review=true" in gateway_args

    for component in chartkit.CONTROLLERS:
        args = _args(rendered, component)
        token_file = _flag(args, "gateway-token-file")
        pod = rendered.get("Deployment", f"{PREFIX}-{component}")["spec"]["template"]["spec"]
        [volume] = [v for v in pod["volumes"] if v["name"] == "gateway-token"]
        [source] = volume["projected"]["sources"]
        assert source["serviceAccountToken"]["audience"] == audience
        [mount] = [m for m in pod["containers"][0]["volumeMounts"]
                   if m["name"] == "gateway-token"]
        assert token_file == f"{mount['mountPath']}/{source['serviceAccountToken']['path']}"

    default = renders["default"]
    assert not any(a.startswith("--token-review") for a in _args(default, "ecs-gateway"))
    assert not any(a.startswith("--gateway-token-file") for a in _args(default, "pvc-reconciler"))


def _write_pem(directory, component, secret):
    folder = directory / component
    folder.mkdir()
    for key in ("ca.crt", "tls.crt", "tls.key"):
        (folder / key).write_bytes(base64.b64decode(secret["data"][key]))
    return folder


def _handshake(server_files, client_files, server_name):
    """One mutual-TLS handshake over loopback; returns the client certificate the server saw,
    or raises ssl.SSLError from the side that refused."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(server_files / "tls.crt", server_files / "tls.key")
    server_ctx.load_verify_locations(server_files / "ca.crt")
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_cert_chain(client_files / "tls.crt", client_files / "tls.key")
    client_ctx.load_verify_locations(client_files / "ca.crt")

    seen, errors = {}, []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def serve():
            conn, _ = listener.accept()
            try:
                with server_ctx.wrap_socket(conn, server_side=True) as tls:
                    seen["cert"] = tls.getpeercert(binary_form=True)
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError) as err:
                errors.append(err)
                conn.close()

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with socket.create_connection(listener.getsockname(), timeout=10) as raw:
                with client_ctx.wrap_socket(raw, server_hostname=server_name) as tls:
                    tls.recv(2)
        finally:
            thread.join(timeout=10)
    if errors:
        raise errors[0]
    return x509.load_der_x509_certificate(seen["cert"])


def test_generated_material_completes_mutual_tls_with_the_allow_listed_identity(
        renders, tmp_path):
    rendered = renders["default"]
    gateway = _write_pem(tmp_path, "ecs-gateway",
                         rendered.get("Secret", f"{PREFIX}-ecs-gateway-tls"))
    callers = {c["identity"] for c in _callers(rendered)}

    for component in chartkit.CONTROLLERS:
        client = _write_pem(tmp_path, component,
                            rendered.get("Secret", f"{PREFIX}-{component}-tls"))
        presented = _handshake(gateway, client, _gateway_host(rendered, component))
        assert set(_dns_names(presented)) & callers, component


def test_certificates_of_another_installation_are_refused(renders, tmp_path):
    """Each release has its own CA: a controller of another installation, even one that
    trusts this gateway, cannot complete the handshake."""
    gateway = _write_pem(tmp_path, "ecs-gateway",
                         renders["default"].get("Secret", f"{PREFIX}-ecs-gateway-tls"))
    stranger = _write_pem(tmp_path, "policy-listener",
                          renders["access-key"].get("Secret", f"{PREFIX}-policy-listener-tls"))
    (stranger / "ca.crt").write_bytes((gateway / "ca.crt").read_bytes())

    with pytest.raises((ssl.SSLError, ConnectionError)):
        _handshake(gateway, stranger, _gateway_host(renders["default"]))


def test_token_only_callers_need_token_review(chart):
    def with_auth(auth):
        return {**CI_VALUES["default"], "ecsGateway": {"auth": auth}}

    with pytest.raises(helm.HelmRenderError, match="requireClientCertificate=false needs"):
        chartkit.render(chart, with_auth({"requireClientCertificate": False}))

    rendered = chartkit.render(chart, with_auth({"requireClientCertificate": False,
                                                 "tokenReview": {"enabled": True}}))
    args = _args(rendered, "ecs-gateway")
    assert "--tls-require-client-cert=false" in args and "--token-review=true" in args
    assert "--tls-require-client-cert=true" in _args(chartkit.render(chart, CI_VALUES["default"]),
                                                     "ecs-gateway")

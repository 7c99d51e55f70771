"""Security policy over the rendered output, for every ci/ value set: pod hardening, who sees
credentials, who may leave the cluster, and RBAC that is scoped and free of wildcards."""

from __future__ import annotations

import ipaddress

import helm_python as helm
import pytest

import chartkit
from chartkit import CI_VALUES

SETS = sorted(CI_VALUES)
GATEWAY = "ecs-gateway"


def _component(obj) -> str:
    return obj["metadata"]["labels"]["app.kubernetes.io/component"]


# --- pods ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SETS)
def test_every_pod_is_hardened(renders, name):
    for component, pod in chartkit.pod_specs(renders[name]):
        where = f"{name}/{component}"
        assert pod.get("hostNetwork") is not True, where
        assert pod.get("hostPID") is not True, where
        assert pod.get("hostIPC") is not True, where
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
        # The volume types the "restricted" Pod Security Standard allows, minus the ones we
        # have no use for.
        for volume in pod.get("volumes", []):
            kinds = set(volume) - {"name"}
            assert kinds <= {"secret", "configMap", "emptyDir", "projected"}, f"{where}: {volume}"

        for container in pod["containers"] + pod.get("initContainers", []):
            sc = container["securityContext"]
            assert sc["runAsNonRoot"] is True, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc.get("privileged") is not True, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in sc["capabilities"], where
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", where
            assert all("hostPort" not in port for port in container.get("ports", [])), where


@pytest.mark.parametrize("name", SETS)
def test_api_token_only_where_the_api_server_is_used(renders, name):
    token_review = CI_VALUES[name].get("ecsGateway", {}).get("auth", {}).get(
        "tokenReview", {}).get("enabled", False)
    for component, pod in chartkit.pod_specs(renders[name]):
        expected = token_review if component == GATEWAY else True
        assert pod["automountServiceAccountToken"] is expected, f"{name}/{component}"

    for sa in renders[name].of_kind("ServiceAccount"):
        assert sa.obj["automountServiceAccountToken"] is False, str(sa)


@pytest.mark.parametrize("name", SETS)
def test_probes_resources_and_command_per_component(renders, name):
    for component, pod in chartkit.pod_specs(renders[name]):
        [container] = pod["containers"]
        assert container["command"] == [f"/usr/local/bin/{component}"]
        assert "--admin-addr=0.0.0.0:9090" in container["args"]
        admin = [p for p in container["ports"] if p["name"] == "admin"]
        assert admin == [{"name": "admin", "containerPort": 9090, "protocol": "TCP"}]
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"),
                            ("startupProbe", "/healthz")):
            assert container[probe]["httpGet"] == {"path": path, "port": "admin"}, component
        assert container["resources"]["requests"]["memory"], component
        assert container["resources"]["limits"]["memory"], component


def test_scheduling_values_reach_the_pods(renders):
    pods = dict(chartkit.pod_specs(renders["ha"]))
    gateway = pods[GATEWAY]
    assert gateway["nodeSelector"] == {"node-role.kubernetes.io/system": "true"}
    assert gateway["tolerations"][0]["key"] == "dedicated"
    assert gateway["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert gateway["priorityClassName"] == "system-cluster-critical"
    assert gateway["imagePullSecrets"] == [{"name": "registry-pull"}]
    assert gateway["containers"][0]["image"].endswith("@sha256:" + "0" * 64)

    listener = pods["policy-listener"]
    assert "priorityClassName" not in listener
    assert "nodeAffinity" in listener["affinity"]

    # Without an explicit affinity, replicas prefer different nodes.
    anti = pods["pvc-reconciler"]["affinity"]["podAntiAffinity"]
    term = anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
    assert term["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "pvc-reconciler"
    assert "affinity" not in dict(chartkit.pod_specs(renders["minimal"]))["pvc-reconciler"]


# --- credentials --------------------------------------------------------------------------


def _secret_names(pod) -> set[str]:
    names = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    for container in pod["containers"]:
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
    return names


def _projected_audiences(pod) -> set[str]:
    return {
        source["serviceAccountToken"]["audience"]
        for v in pod.get("volumes", []) if "projected" in v
        for source in v["projected"]["sources"] if "serviceAccountToken" in source
    }


@pytest.mark.parametrize("name", SETS)
def test_only_the_gateway_sees_credentials(renders, name):
    rendered = renders[name]
    source = CI_VALUES[name].get("ecsGateway", {}).get("credentials", {}).get("source", "ramRole")
    pods = dict(chartkit.pod_specs(rendered))

    for component, pod in pods.items():
        own_tls = f"storage-snapshot-manager-{component}-tls"
        secrets = _secret_names(pod) - {own_tls}
        audiences = _projected_audiences(pod)
        if component != GATEWAY:
            assert secrets == set(), f"{name}/{component} mounts {secrets}"
            assert "sts.aliyuncs.com" not in audiences, f"{name}/{component}"
            continue

        if source == "accessKey":
            existing = CI_VALUES[name]["ecsGateway"]["credentials"]["accessKey"].get(
                "existingSecret") or "storage-snapshot-manager-ecs-gateway-credentials"
            assert secrets == {existing}
        else:
            assert secrets == set()
        assert ("sts.aliyuncs.com" in audiences) == (source == "rrsa")


@pytest.mark.parametrize("name", SETS)
def test_no_pod_mounts_the_ca_key(renders, name):
    for component, pod in chartkit.pod_specs(renders[name]):
        assert "storage-snapshot-manager-ca" not in _secret_names(pod), component


def test_credentials_secret_is_rendered_only_when_the_chart_owns_it(renders):
    def credential_secrets(rendered):
        return [m for m in rendered.of_kind("Secret") if "access-key-id" in m.obj["data"]]

    [secret] = credential_secrets(renders["access-key"])
    assert secret.name == "storage-snapshot-manager-ecs-gateway-credentials"
    assert credential_secrets(renders["existing-secret"]) == []
    assert credential_secrets(renders["default"]) == []


def test_rrsa_token_is_projected_for_sts(renders):
    gateway = dict(chartkit.pod_specs(renders["rrsa-cert-manager"]))[GATEWAY]
    [container] = gateway["containers"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["rrsa-token"] == "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens"
    assert "--credentials-source=oidc" in container["args"]
    assert gateway["automountServiceAccountToken"] is False


# --- network ------------------------------------------------------------------------------


def _policies(rendered):
    return {_component(m.obj): m.obj["spec"] for m in rendered.of_kind("NetworkPolicy")}


def _cluster_internal(peer) -> bool:
    return "ipBlock" not in peer


@pytest.mark.parametrize("name", [n for n in SETS if n != "minimal"])
def test_only_the_gateway_leaves_the_cluster(renders, name):
    values = CI_VALUES[name].get("networkPolicy", {})
    api_cidrs = set(values.get("apiServer", {}).get("cidrs", []))
    dns_cidrs = set(values.get("dns", {}).get("extraCidrs", []))
    policies = _policies(renders[name])
    assert set(policies) == set(chartkit.COMPONENTS)

    for component, spec in policies.items():
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        if component == GATEWAY:
            continue
        for rule in spec["egress"]:
            ports = {p["port"] for p in rule["ports"]}
            peers = rule.get("to")
            if peers is None:
                # Offline render without API server addresses: only the API server ports.
                assert not api_cidrs and ports == {443, 6443}, f"{name}/{component}: {rule}"
                continue
            for peer in peers:
                if _cluster_internal(peer):
                    continue
                assert peer["ipBlock"]["cidr"] in api_cidrs | dns_cidrs, f"{name}/{component}"
                assert "except" not in peer["ipBlock"]


def test_gateway_egress_is_https_metadata_and_dns(renders):
    spec = _policies(renders["default"])[GATEWAY]
    external = [rule for rule in spec["egress"]
                if any(not _cluster_internal(peer) for peer in rule.get("to", []))]
    assert [(r["to"][0]["ipBlock"]["cidr"], r["ports"]) for r in external] == [
        ("0.0.0.0/0", [{"protocol": "TCP", "port": 443}]),
        ("100.100.100.200/32", [{"protocol": "TCP", "port": 80}]),
    ]
    # Metadata is reachable only for ramRole credentials.
    rrsa = _policies(renders["rrsa-cert-manager"])[GATEWAY]
    cidrs = {peer["ipBlock"]["cidr"] for rule in rrsa["egress"] for peer in rule.get("to", [])
             if "ipBlock" in peer}
    assert cidrs == {"0.0.0.0/0"}


@pytest.mark.parametrize("name", [n for n in SETS if n != "minimal"])
def test_only_controllers_and_listed_tools_reach_the_gateway_port(renders, name):
    spec = _policies(renders[name])[GATEWAY]
    extra = CI_VALUES[name].get("networkPolicy", {}).get("gateway", {}).get("extraClients", [])
    [grpc_rule] = [r for r in spec["ingress"] if r["ports"] == [{"protocol": "TCP", "port": 8443}]]

    ours = [p for p in grpc_rule["from"] if p not in extra]
    assert sorted(p["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
                  for p in ours) == sorted(chartkit.CONTROLLERS)
    assert all(set(p) == {"podSelector"} for p in ours), "controllers are matched in-namespace"
    assert [p for p in grpc_rule["from"] if p in extra] == extra

    for rule in spec["ingress"]:
        if rule is not grpc_rule:
            assert {p["port"] for p in rule["ports"]} == {9090}


def test_api_server_egress_uses_the_given_addresses(renders):
    spec = _policies(renders["access-key"])["pvc-reconciler"]
    cidrs = [peer["ipBlock"]["cidr"] for rule in spec["egress"] for peer in rule.get("to", [])
             if "ipBlock" in peer]
    assert cidrs == ["192.168.0.10/32", "192.168.0.11/32"]
    for cidr in cidrs:
        assert ipaddress.ip_network(cidr).num_addresses == 1


def test_network_policies_can_be_turned_off(renders):
    assert renders["minimal"].of_kind("NetworkPolicy") == []


# --- RBAC ---------------------------------------------------------------------------------

# What each component may do, as its crate calls the API server. A change here must come
# with the code that needs it.
EXPECTED_CLUSTER_RULES = {
    "policy-listener": {
        ("storage.alibabacloud.com", "volumesnapshotpolicies"): {"list", "watch", "patch"},
        ("storage.alibabacloud.com", "volumesnapshotpolicies/status"): {"patch"},
        ("", "persistentvolumeclaims"): {"list", "watch"},
        ("", "persistentvolumes"): {"get"},
        ("events.k8s.io", "events"): {"create", "patch"},
    },
    "pvc-reconciler": {
        ("storage.alibabacloud.com", "volumesnapshotpolicies"): {"list", "watch"},
        ("storage.alibabacloud.com", "volumesnapshotpolicies/status"): {"patch"},
        ("", "persistentvolumeclaims"): {"list", "watch"},
        ("", "persistentvolumes"): {"list", "watch"},
        ("events.k8s.io", "events"): {"create", "patch"},
    },
    "snapshot-reconciler": {
        ("storage.alibabacloud.com", "volumesnapshotpolicies"): {"list", "watch"},
        ("", "persistentvolumeclaims"): {"list", "watch"},
        ("", "persistentvolumes"): {"list", "watch"},
        ("snapshot.storage.k8s.io", "volumesnapshots"): {"create", "list", "watch", "delete"},
        ("snapshot.storage.k8s.io", "volumesnapshotcontents"):
            {"create", "list", "watch", "get", "patch", "delete"},
        ("snapshot.storage.k8s.io", "volumesnapshotclasses"): {"get"},
        ("events.k8s.io", "events"): {"create", "patch"},
    },
}
TOKEN_REVIEW_RULES = {("authentication.k8s.io", "tokenreviews"): {"create"}}


def _grants(role) -> dict[tuple[str, str], set[str]]:
    grants: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                grants.setdefault((group, resource), set()).update(rule["verbs"])
    return grants


def _bindings(rendered):
    """{service account: [(role kind, role object)]} for every binding rendered."""
    roles = {(m.kind, m.name): m.obj for m in rendered.manifests
             if m.kind in ("Role", "ClusterRole")}
    bound: dict[str, list] = {}
    for m in rendered.manifests:
        if m.kind not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        ref = m.obj["roleRef"]
        assert (ref["kind"], ref["name"]) in roles, f"{m} binds a role the chart does not ship"
        for subject in m.obj["subjects"]:
            assert subject["kind"] == "ServiceAccount", str(m)
            assert subject["namespace"] == chartkit.NAMESPACE, str(m)
            bound.setdefault(subject["name"], []).append(
                (m.kind, roles[(ref["kind"], ref["name"])]))
    return bound


@pytest.mark.parametrize("name", SETS)
def test_rbac_has_no_wildcards_or_escalation(renders, name):
    for m in renders[name].manifests:
        if m.kind in ("RoleBinding", "ClusterRoleBinding"):
            assert m.obj["roleRef"]["name"] not in ("cluster-admin", "admin", "edit"), str(m)
        if m.kind not in ("Role", "ClusterRole"):
            continue
        assert "aggregationRule" not in m.obj, str(m)
        for rule in m.obj["rules"]:
            for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                assert all("*" not in item for item in rule.get(field, [])), f"{m}: {rule}"
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"]), str(m)
            assert "secrets" not in rule["resources"], f"{m} grants secrets"
            assert "nonResourceURLs" not in rule, str(m)


@pytest.mark.parametrize("name", SETS)
def test_each_component_has_exactly_its_own_permissions(renders, name):
    rendered = renders[name]
    token_review = CI_VALUES[name].get("ecsGateway", {}).get("auth", {}).get(
        "tokenReview", {}).get("enabled", False)
    bound = _bindings(rendered)
    assert set(bound) <= {f"storage-snapshot-manager-{c}" for c in chartkit.COMPONENTS}

    for component in chartkit.COMPONENTS:
        account = f"storage-snapshot-manager-{component}"
        cluster, namespaced = {}, {}
        for kind, role in bound.get(account, []):
            target = cluster if kind == "ClusterRoleBinding" else namespaced
            for key, verbs in _grants(role).items():
                target.setdefault(key, set()).update(verbs)

        if component == GATEWAY:
            assert cluster == (TOKEN_REVIEW_RULES if token_review else {}), name
            assert namespaced == {}
            continue
        assert cluster == EXPECTED_CLUSTER_RULES[component], f"{name}/{component}"
        assert namespaced == {("coordination.k8s.io", "leases"): {"create", "get", "patch"}}


def test_lease_access_is_limited_to_the_components_own_lease(default_render):
    for component in chartkit.CONTROLLERS:
        name = f"storage-snapshot-manager-{component}"
        role = default_render.get("Role", f"{name}-leader-election")
        assert role["metadata"]["namespace"] == chartkit.NAMESPACE
        named = [r for r in role["rules"] if r.get("resourceNames")]
        assert named == [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                          "resourceNames": [name], "verbs": ["get", "patch"]}]
        args = default_render.get("Deployment", name)["spec"]["template"]["spec"][
            "containers"][0]["args"]
        assert f"--lease-name={name}" in args
        assert f"--lease-namespace={chartkit.NAMESPACE}" in args


def test_snapshot_class_access_is_limited_to_the_configured_class(chart):
    values = {**CI_VALUES["default"], "snapshotReconciler": {"snapshotClass": "gold"}}
    name = "storage-snapshot-manager-snapshot-reconciler"
    role = chartkit.render(chart, values).get("ClusterRole", name)
    classes = [r for r in role["rules"] if "volumesnapshotclasses" in r["resources"]]
    assert classes == [{"apiGroups": ["snapshot.storage.k8s.io"],
                        "resources": ["volumesnapshotclasses"], "resourceNames": ["gold"],
                        "verbs": ["get"]}]


@pytest.mark.parametrize("name", SETS)
def test_one_service_account_per_component(renders, name):
    rendered = renders[name]
    accounts = sorted(_component(m.obj) for m in rendered.of_kind("ServiceAccount"))
    assert accounts == sorted(chartkit.COMPONENTS)
    for component, pod in chartkit.pod_specs(rendered):
        assert pod["serviceAccountName"] == f"storage-snapshot-manager-{component}"


def test_empty_metrics_sources_let_no_one_in(chart):
    values = {**CI_VALUES["access-key"], "networkPolicy": {
        **CI_VALUES["access-key"]["networkPolicy"], "metricsFrom": []}}
    policies = _policies(chartkit.render(chart, values))

    for component in chartkit.CONTROLLERS:
        assert policies[component]["ingress"] == [], component
    assert [r["ports"] for r in policies[GATEWAY]["ingress"]] == [
        [{"protocol": "TCP", "port": 8443}]]


def test_network_policy_without_dns_peers_is_refused(chart):
    values = {**CI_VALUES["default"], "networkPolicy": {"dns": {"to": [], "extraCidrs": []}}}
    with pytest.raises(helm.HelmRenderError, match="networkPolicy.dns"):
        chartkit.render(chart, values)


def test_rrsa_environment_matches_what_the_oidc_provider_reads(renders):
    values = CI_VALUES["rrsa-cert-manager"]
    gateway = dict(chartkit.pod_specs(renders["rrsa-cert-manager"]))[GATEWAY]
    env = {e["name"]: e["value"] for e in gateway["containers"][0]["env"]}
    rrsa = values["ecsGateway"]["credentials"]["rrsa"]
    assert env == {
        "ALIBABA_CLOUD_ROLE_ARN": rrsa["roleArn"],
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": rrsa["oidcProviderArn"],
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token",
        "ALIBABA_CLOUD_ROLE_SESSION_NAME": "storage-snapshot-manager",
        "ALIBABA_CLOUD_STS_REGION": values["region"],
        "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true",
    }
    for source in ("default", "access-key"):
        pod = dict(chartkit.pod_specs(renders[source]))[GATEWAY]
        assert "env" not in pod["containers"][0], source

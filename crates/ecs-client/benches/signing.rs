//! Signing cost per request: everything `EcsClient::execute` does between "action in hand"
//! and "URL and headers ready to send" (parameter list, canonicalisation, HMAC, URL encoding).
//!
//! Run: `cargo bench -p ecs-client --bench signing`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ecs_client::actions::{ApplyAutoSnapshotPolicy, DescribeSnapshots, Tag};
use ecs_client::credentials::Credentials;
use ecs_client::signing::RequestSigner;
use ecs_client::{Action, Endpoint, SignatureVersion};

fn signing(c: &mut Criterion) {
    let endpoint = Endpoint::public("cn-beijing");
    let sts = Credentials::sts(
        "STS.NUgYrLnoC37mZZCNnAbez",
        "secret-value",
        "CAIS+token/with=chars",
        None,
    )
    .expect("valid credentials");
    let time = "2024-05-20T08:30:00Z".parse().expect("valid time");

    let mut describe = DescribeSnapshots::new("cn-beijing");
    describe.disk_id = Some("d-2ze1example".into());
    describe.tags = vec![Tag::new("cluster", "c-1"), Tag::new("policy", "nightly")];
    describe.max_results = Some(100);
    let apply = ApplyAutoSnapshotPolicy::new(
        "cn-beijing",
        "sp-2ze1example",
        (0..20).map(|i| format!("d-2ze1example{i:02}")).collect(),
    );

    for (label, version) in [
        ("rpc_v1", SignatureVersion::RpcV1),
        ("v3", SignatureVersion::V3),
    ] {
        let signer = RequestSigner::new(&endpoint, version).expect("valid endpoint");
        c.bench_function(&format!("{label}/DescribeSnapshots"), |b| {
            b.iter(|| {
                let params = black_box(&describe).params();
                black_box(signer.sign(DescribeSnapshots::NAME, &params, &sts, "nonce-1", time))
            })
        });
        c.bench_function(&format!("{label}/ApplyAutoSnapshotPolicy_20_disks"), |b| {
            b.iter(|| {
                let params = black_box(&apply).params();
                black_box(signer.sign(
                    ApplyAutoSnapshotPolicy::NAME,
                    &params,
                    &sts,
                    "nonce-1",
                    time,
                ))
            })
        });
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);

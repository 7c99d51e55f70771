use super::*;
use futures::future::BoxFuture;
use tonic::Code;

struct FakeReviewer;

impl TokenReviewer for FakeReviewer {
    fn review<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Verdict, String>> {
        Box::pin(async move {
            match token {
                "good-listener" => Ok(Verdict::Authenticated("sa:listener".into())),
                "good-stranger" => Ok(Verdict::Authenticated("sa:stranger".into())),
                "outage" => Err("connection refused".into()),
                _ => Ok(Verdict::Rejected("token expired".into())),
            }
        })
    }
}

fn authenticator() -> Authenticator {
    let list = AllowList::parse(
        "callers:\n- identity: sa:listener\n  rpcs: [DescribeDisks]\n  weight: 4\n",
    )
    .unwrap();
    Authenticator::new(list, Some(Arc::new(FakeReviewer)), Metrics::default())
}

fn with_token(token: &str) -> Request<()> {
    let mut request = Request::new(());
    let header = format!("Bearer {token}").parse().unwrap();
    request.metadata_mut().insert("authorization", header);
    request
}

#[tokio::test]
async fn a_listed_token_gets_its_grant() {
    let caller = authenticator()
        .authorize(&with_token("good-listener"), "DescribeDisks")
        .await;

    assert_eq!(
        caller.unwrap(),
        Caller {
            identity: "sa:listener".into(),
            weight: 4
        }
    );
}

#[tokio::test]
async fn refusals_use_the_right_codes() {
    let auth = authenticator();

    let not_granted = auth
        .authorize(&with_token("good-listener"), "DeleteSnapshot")
        .await;
    let not_listed = auth
        .authorize(&with_token("good-stranger"), "DescribeDisks")
        .await;
    let bad_token = auth.authorize(&with_token("forged"), "DescribeDisks").await;
    let nothing = auth.authorize(&Request::new(()), "DescribeDisks").await;
    let outage = auth.authorize(&with_token("outage"), "DescribeDisks").await;

    assert_eq!(not_granted.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(not_listed.unwrap_err().code(), Code::PermissionDenied);
    let bad_token = bad_token.unwrap_err();
    assert_eq!(bad_token.code(), Code::Unauthenticated);
    assert!(
        !bad_token.message().contains("forged"),
        "{}",
        bad_token.message()
    );
    assert_eq!(nothing.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(outage.unwrap_err().code(), Code::Unavailable);
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused() {
    let mut request = Request::new(());
    request
        .metadata_mut()
        .insert("authorization", "Basic abc".parse().unwrap());

    let refused = authenticator()
        .authorize(&request, "DescribeDisks")
        .await
        .unwrap_err();

    assert_eq!(refused.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn insecure_dev_mode_lets_everything_in() {
    let auth = Authenticator::insecure_dev(Metrics::default());

    let caller = auth
        .authorize(&Request::new(()), "DeleteSnapshot")
        .await
        .unwrap();

    assert_eq!(caller.identity, INSECURE_DEV_IDENTITY);
}

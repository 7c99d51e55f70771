//! The simulated STS (`Version=2015-04-01`): `AssumeRoleWithOIDC` (unsigned, as RRSA uses it)
//! and `GetCallerIdentity` (signed, handy to check which credentials a client holds).

use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::actions::render_time;
use crate::api_error::ApiError;
use crate::auth::Principal;
use crate::oidc::{self, TokenError};
use crate::params::Params;
use crate::sim::{Sim, lock};

pub const STS_VERSION: &str = "2015-04-01";

/// Whether an STS action is simulated, and whether it needs a signature.
pub fn action_kind(action: &str) -> Option<Signing> {
    match action {
        "AssumeRoleWithOIDC" => Some(Signing::Anonymous),
        "GetCallerIdentity" => Some(Signing::Signed),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    Anonymous,
    Signed,
}

pub fn assume_role_with_oidc(sim: &Sim, params: &Params) -> Result<Value, ApiError> {
    let role_arn = params.required("RoleArn")?;
    let provider_arn = params.required("OIDCProviderArn")?;
    let token = params.required("OIDCToken")?;
    let session = params.required("RoleSessionName")?;
    let seconds = params.int("DurationSeconds", 900, 43200)?.unwrap_or(3600);

    let trust = lock(&sim.credentials).oidc.clone().ok_or_else(|| {
        ApiError::new(
            404,
            "EntityNotExist.OIDCProvider",
            "No OIDC provider is configured.",
        )
    })?;
    if trust.provider_arn != provider_arn {
        let message = format!("The OIDC provider {provider_arn} does not exist.");
        return Err(ApiError::new(404, "EntityNotExist.OIDCProvider", message));
    }
    let role_known = trust.role_arns.iter().any(|r| r == role_arn)
        || (trust.role_arns.is_empty()
            && role_arn.starts_with("acs:ram::")
            && role_arn.contains(":role/"));
    if !role_known {
        let message = format!("The role {role_arn} does not exist or does not trust the provider.");
        return Err(ApiError::new(404, "EntityNotExist.Role", message));
    }
    let claims = oidc::verify(&trust, token, sim.now()).map_err(token_error)?;

    let credential = sim.issue_sts(role_arn, SignedDuration::from_secs(seconds));
    let role_name = role_arn.rsplit('/').next().unwrap_or_default();
    Ok(json!({
        "AssumedRoleUser": {
            "Arn": format!("{}/{session}", role_arn.replace(":role/", ":assumed-role/")),
            "AssumedRoleId": format!("{}:{session}", role_name),
        },
        "Credentials": {
            "AccessKeyId": credential.access_key_id,
            "AccessKeySecret": credential.access_key_secret,
            "SecurityToken": credential.security_token,
            "Expiration": render_time(credential.expiration),
        },
        "OIDCTokenInfo": {
            "Issuer": claims.iss,
            "Subject": claims.sub,
            "ClientIds": trust.audience,
            "ExpirationTime": unix_time(claims.exp),
            "IssuanceTime": unix_time(claims.iat),
        },
    }))
}

pub fn get_caller_identity(principal: &Principal) -> Value {
    match &principal.role_arn {
        Some(role) => json!({
            "AccountId": "1234567890",
            "Arn": role.replace(":role/", ":assumed-role/"),
            "IdentityType": "AssumedRoleUser",
            "PrincipalId": principal.access_key_id,
            "UserId": "",
            "RoleId": "",
        }),
        None => json!({
            "AccountId": "1234567890",
            "Arn": "acs:ram::1234567890:user/ecs-sim",
            "IdentityType": "RAMUser",
            "PrincipalId": principal.access_key_id,
            "UserId": principal.access_key_id,
            "RoleId": "",
        }),
    }
}

fn unix_time(seconds: i64) -> String {
    render_time(jiff::Timestamp::from_second(seconds).unwrap_or_default())
}

fn token_error(error: TokenError) -> ApiError {
    let code = match error {
        TokenError::Expired(_) => "AuthenticationFail.OIDCToken.Expired",
        TokenError::WrongIssuer(_) => "AuthenticationFail.OIDCToken.IssuerError",
        TokenError::WrongAudience(_) => "AuthenticationFail.OIDCToken.AudienceError",
        TokenError::Malformed | TokenError::BadSignature => "AuthenticationFail.OIDCToken.Invalid",
    };
    ApiError::new(400, code, error.to_string())
}

//! Who may call: AccessKey pairs, issued STS credentials, and the signature checks of both RPC
//! signature v1 and V3, with ECS's error code for each way a request can fail them.
//!
//! # Clocks
//! Timestamp skew and nonce replay are judged against the real wall clock, because real SDKs
//! stamp requests with real time. STS expiry is judged against the virtual clock, because tests
//! move that clock to make credentials expire.

mod nonce;
mod rpc_v1;
mod v3;

use std::collections::HashMap;

use http::HeaderMap;
use jiff::Timestamp;

use crate::api_error::ApiError;
use crate::config::AccessKey;
use nonce::NonceCache;

/// A request as the signature checks see it.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Decoded query parameters, in arrival order.
    pub query: &'a [(String, String)],
    /// Decoded form-body parameters (empty unless the body is a form).
    pub form: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    /// The value of a query or form parameter.
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(self.form)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the request uses V3 (`Authorization: ACS3-HMAC-SHA256 ...`).
    pub fn is_v3(&self) -> bool {
        self.header("authorization")
            .is_some_and(|v| v.starts_with(acs_signature::v3::ALGORITHM))
    }
}

/// Temporary credentials issued by the simulated STS or metadata service.
#[derive(Clone)]
pub struct StsCredential {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    /// Virtual time after which ECS answers `InvalidSecurityToken.Expired`.
    pub expiration: Timestamp,
    /// The role the credential acts as, for GetCallerIdentity.
    pub role_arn: String,
}

/// The identity a request was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub access_key_id: String,
    /// Set when the caller used STS credentials.
    pub role_arn: Option<String>,
}

pub struct Authenticator {
    keys: HashMap<String, String>,
    sts: HashMap<String, StsCredential>,
    nonces: NonceCache,
    max_skew_seconds: u64,
}

impl Authenticator {
    pub fn new(keys: &[AccessKey], max_skew_seconds: u64) -> Self {
        let mut auth = Self {
            keys: HashMap::new(),
            sts: HashMap::new(),
            nonces: NonceCache::default(),
            max_skew_seconds,
        };
        auth.set_access_keys(keys);
        auth
    }

    pub fn set_access_keys(&mut self, keys: &[AccessKey]) {
        self.keys = keys
            .iter()
            .map(|k| (k.id.clone(), k.secret.clone()))
            .collect();
    }

    pub fn access_keys(&self) -> Vec<AccessKey> {
        let mut keys: Vec<AccessKey> = self
            .keys
            .iter()
            .map(|(id, secret)| AccessKey {
                id: id.clone(),
                secret: secret.clone(),
            })
            .collect();
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        keys
    }

    pub fn set_max_skew(&mut self, seconds: u64) {
        self.max_skew_seconds = seconds;
    }

    /// Remembers issued STS credentials; expired ones are forgotten lazily.
    pub fn add_sts(&mut self, credential: StsCredential, now: Timestamp) {
        let day_ago = now.as_second().saturating_sub(24 * 3600);
        self.sts.retain(|_, c| c.expiration.as_second() > day_ago);
        self.sts
            .insert(credential.access_key_id.clone(), credential);
    }

    /// Verifies a signed request (v1 or V3) and records its nonce.
    pub fn verify(
        &mut self,
        request: &SignedRequest<'_>,
        virtual_now: Timestamp,
    ) -> Result<Principal, ApiError> {
        let wall_now = Timestamp::now();
        let checked = if request.is_v3() {
            v3::verify(
                request,
                |id| self.secret_for(id),
                wall_now,
                self.max_skew_seconds,
            )?
        } else {
            rpc_v1::verify(
                request,
                |id| self.secret_for(id),
                wall_now,
                self.max_skew_seconds,
            )?
        };
        let principal = self.check_token(&checked.access_key_id, checked.token, virtual_now)?;

        if !self
            .nonces
            .insert(&checked.nonce, wall_now, self.max_skew_seconds)
        {
            let message = "Specified signature nonce was used already.";
            return Err(ApiError::new(400, "SignatureNonceUsed", message));
        }
        Ok(principal)
    }

    fn secret_for(&self, access_key_id: &str) -> Option<String> {
        self.keys.get(access_key_id).cloned().or_else(|| {
            self.sts
                .get(access_key_id)
                .map(|c| c.access_key_secret.clone())
        })
    }

    fn check_token(
        &self,
        access_key_id: &str,
        token: Option<String>,
        virtual_now: Timestamp,
    ) -> Result<Principal, ApiError> {
        let Some(credential) = self.sts.get(access_key_id) else {
            let id = access_key_id.to_owned();
            return Ok(Principal {
                access_key_id: id,
                role_arn: None,
            });
        };
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            let message = "The security token is required for STS AccessKey IDs.";
            return Err(ApiError::new(400, "MissingSecurityToken", message));
        };
        if !acs_signature::signatures_match(&credential.security_token, &token) {
            let message = "The security token does not belong to the AccessKey ID.";
            return Err(ApiError::new(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                message,
            ));
        }
        if credential.expiration <= virtual_now {
            let message = format!("The security token expired at {}.", credential.expiration);
            return Err(ApiError::new(400, "InvalidSecurityToken.Expired", message));
        }
        let role_arn = Some(credential.role_arn.clone());
        Ok(Principal {
            access_key_id: access_key_id.to_owned(),
            role_arn,
        })
    }
}

/// What a scheme-specific check established.
pub(crate) struct Checked {
    access_key_id: String,
    nonce: String,
    token: Option<String>,
}

/// ECS's answer for an AccessKey ID it does not know.
fn unknown_key(access_key_id: &str) -> ApiError {
    let message = format!("Specified access key is not found: {access_key_id}");
    ApiError::new(400, "InvalidAccessKeyId.NotFound", message)
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ` and checks it against the wall clock.
fn check_timestamp(
    name: &str,
    text: &str,
    wall_now: Timestamp,
    max_skew_seconds: u64,
) -> Result<(), ApiError> {
    let stamp: Timestamp = text.parse().map_err(|_| {
        let message = format!("The specified {name} \"{text}\" is not in yyyy-MM-ddTHH:mm:ssZ.");
        ApiError::new(400, "InvalidTimeStamp.Format", message)
    })?;
    let skew = (wall_now.as_second() - stamp.as_second()).unsigned_abs();
    if skew > max_skew_seconds {
        let message = format!(
            "Specified time stamp or date value is expired: {text} is {skew} s from server time \
             {wall_now}."
        );
        return Err(ApiError::new(400, "InvalidTimeStamp.Expired", message));
    }
    Ok(())
}

fn signature_mismatch(server_string_to_sign: &str) -> ApiError {
    let message = format!(
        "Specified signature is not matched with our calculation. server string to sign \
         is:{server_string_to_sign}"
    );
    ApiError::new(400, "SignatureDoesNotMatch", message)
}

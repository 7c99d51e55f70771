//! OIDC tokens as the simulated RAM trusts them: compact JWTs signed with HS256 under the
//! configured provider key. Real ACK tokens are RS256; the claims checked (issuer, audience,
//! expiry on the virtual clock) are the same, and only the key type differs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::OidcTrust;

/// The claims the simulator reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
}

/// `aud` may be one string or a list, as in Kubernetes service-account tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, audience: &str) -> bool {
        match self {
            Self::One(a) => a == audience,
            Self::Many(list) => list.iter().any(|a| a == audience),
        }
    }
}

/// Why a token was refused; its `Display` is the STS error message.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    WrongIssuer(String),
    WrongAudience(String),
    Expired(i64),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed => f.write_str("the OIDC token is not a compact HS256 JWT"),
            Self::BadSignature => {
                f.write_str("the OIDC token signature does not verify with the provider key")
            }
            Self::WrongIssuer(iss) => write!(f, "the OIDC token issuer {iss} is not trusted"),
            Self::WrongAudience(aud) => write!(f, "the OIDC token audience does not include {aud}"),
            Self::Expired(exp) => write!(f, "the OIDC token expired at unix time {exp}"),
        }
    }
}

/// Signs claims into a token (used by the admin API to hand tests a valid token).
pub fn mint(key: &str, claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(hmac(key, &signing_input));
    format!("{signing_input}.{signature}")
}

/// Verifies signature, issuer, audience and expiry (against `now`, the virtual clock).
pub fn verify(trust: &OidcTrust, token: &str, now: Timestamp) -> Result<Claims, TokenError> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: serde_json::Value = decode_json(header)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(TokenError::Malformed);
    }
    let presented = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let expected = hmac(
        &trust.hmac_key,
        &format!("{}.{payload}", header_part(token)),
    );
    if presented != expected {
        return Err(TokenError::BadSignature);
    }

    let claims: Claims = decode_json(payload)?;
    if claims.iss != trust.issuer {
        return Err(TokenError::WrongIssuer(claims.iss));
    }
    if !claims.aud.contains(&trust.audience) {
        return Err(TokenError::WrongAudience(trust.audience.clone()));
    }
    if claims.exp <= now.as_second() {
        return Err(TokenError::Expired(claims.exp));
    }
    Ok(claims)
}

fn header_part(token: &str) -> &str {
    token.trim().split('.').next().unwrap_or_default()
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

fn hmac(key: &str, input: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        let trust = OidcTrust::default();
        Claims {
            iss: trust.issuer,
            sub: "system:serviceaccount:kube-system:ecs-gateway".into(),
            aud: Audience::Many(vec![trust.audience]),
            exp,
            iat: 0,
        }
    }

    #[test]
    fn minted_tokens_verify_until_expiry() {
        let trust = OidcTrust::default();
        let token = mint(&trust.hmac_key, &claims(1000));
        assert!(verify(&trust, &token, Timestamp::from_second(999).unwrap()).is_ok());
        let late = verify(&trust, &token, Timestamp::from_second(1000).unwrap());
        assert_eq!(late, Err(TokenError::Expired(1000)));
    }

    #[test]
    fn wrong_key_issuer_and_garbage_are_refused() {
        let trust = OidcTrust::default();
        let now = Timestamp::from_second(0).unwrap();
        let forged = mint("another key", &claims(1000));
        assert_eq!(verify(&trust, &forged, now), Err(TokenError::BadSignature));
        let mut other = claims(1000);
        other.iss = "https://elsewhere".into();
        let token = mint(&trust.hmac_key, &other);
        assert!(matches!(
            verify(&trust, &token, now),
            Err(TokenError::WrongIssuer(_))
        ));
        assert_eq!(verify(&trust, "not-a-jwt", now), Err(TokenError::Malformed));
    }
}

//! Turning an action's parameters into a signed HTTP request, RPC v1 or V3.
//!
//! Both forms send every business parameter in the query string of a bodiless POST, as the
//! official SDKs do. Nonce and timestamp are inputs, so the client draws fresh ones for every
//! attempt and tests can pin them.

use std::fmt;

use acs_signature::{percent_encode, rpc_v1, v3};
use jiff::Timestamp;

use crate::credentials::Credentials;
use crate::{API_VERSION, Endpoint, Error};

/// Which signature scheme requests carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// `SignatureVersion=1.0`, HMAC-SHA1, signature as a query parameter.
    #[default]
    RpcV1,
    /// `ACS3-HMAC-SHA256` in the `Authorization` header.
    V3,
}

/// Signs requests for one endpoint.
#[derive(Debug, Clone)]
pub struct RequestSigner {
    base_url: String,
    host: String,
    version: SignatureVersion,
}

/// A signed request, ready to send. Its URL and headers carry the AccessKey ID and, for STS
/// credentials, the security token, so `Debug` shows only the host and header names.
pub struct SignedRequest {
    pub(crate) url: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    host: String,
}

impl SignedRequest {
    /// The URL to POST to, query included. It carries the AccessKey ID, the signature and,
    /// with STS credentials and RPC v1, the security token: never log it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Headers to send (V3 only; empty for RPC v1). May carry the security token.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("SignedRequest")
            .field("host", &self.host)
            .field("headers", &names)
            .finish()
    }
}

/// The `Timestamp` / `x-acs-date` form: `yyyy-MM-ddTHH:mm:ssZ` in UTC.
pub(crate) fn format_timestamp(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl RequestSigner {
    /// # Errors
    /// [`Error::Config`] when the endpoint is unusable.
    pub fn new(endpoint: &Endpoint, version: SignatureVersion) -> Result<Self, Error> {
        Ok(Self {
            base_url: endpoint.base_url()?.to_string(),
            host: endpoint.host()?,
            version,
        })
    }

    /// The host requests go to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Signs one attempt of `action` with the given nonce and time.
    pub fn sign(
        &self,
        action: &str,
        params: &[(String, String)],
        credentials: &Credentials,
        nonce: &str,
        time: Timestamp,
    ) -> SignedRequest {
        match self.version {
            SignatureVersion::RpcV1 => self.sign_rpc_v1(action, params, credentials, nonce, time),
            SignatureVersion::V3 => self.sign_v3(action, params, credentials, nonce, time),
        }
    }

    fn sign_rpc_v1(
        &self,
        action: &str,
        params: &[(String, String)],
        credentials: &Credentials,
        nonce: &str,
        time: Timestamp,
    ) -> SignedRequest {
        let timestamp = format_timestamp(time);
        let mut all: Vec<(&str, &str)> = vec![
            ("Action", action),
            ("Version", API_VERSION),
            ("Format", "json"),
            ("AccessKeyId", credentials.access_key_id()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce),
            ("Timestamp", &timestamp),
        ];
        if let Some(token) = credentials.security_token() {
            all.push(("SecurityToken", token));
        }
        all.extend(
            params
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );

        let signature = rpc_v1::signature("POST", all.iter().copied(), credentials.secret());
        all.push((rpc_v1::SIGNATURE_PARAM, &signature));
        SignedRequest {
            url: self.url_with_query(&all),
            headers: Vec::new(),
            host: self.host.clone(),
        }
    }

    fn sign_v3(
        &self,
        action: &str,
        params: &[(String, String)],
        credentials: &Credentials,
        nonce: &str,
        time: Timestamp,
    ) -> SignedRequest {
        let mut headers: Vec<(&'static str, String)> = vec![
            ("host", self.host.clone()),
            ("x-acs-action", action.to_owned()),
            ("x-acs-version", API_VERSION.to_owned()),
            ("x-acs-date", format_timestamp(time)),
            ("x-acs-signature-nonce", nonce.to_owned()),
            ("x-acs-content-sha256", v3::EMPTY_PAYLOAD_SHA256.to_owned()),
        ];
        if let Some(token) = credentials.security_token() {
            headers.push(("x-acs-security-token", token.to_owned()));
        }

        let query: Vec<(&str, &str)> = params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let header_refs: Vec<(&str, &str)> =
            headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let parts = v3::RequestParts {
            method: "POST",
            path: "/",
            query: &query,
            headers: &header_refs,
            payload_sha256: v3::EMPTY_PAYLOAD_SHA256,
        };
        let authorization =
            v3::authorization(&parts, credentials.access_key_id(), credentials.secret());

        headers.retain(|(name, _)| *name != "host");
        headers.push(("authorization", authorization.to_header_value()));
        SignedRequest {
            url: self.url_with_query(&query),
            headers,
            host: self.host.clone(),
        }
    }

    fn url_with_query(&self, params: &[(&str, &str)]) -> String {
        let mut url = self.base_url.clone();
        for (i, (name, value)) in params.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&percent_encode(name));
            url.push('=');
            url.push_str(&percent_encode(value));
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(version: SignatureVersion) -> RequestSigner {
        RequestSigner::new(&Endpoint::url("http://127.0.0.1:9").unwrap(), version).unwrap()
    }

    fn time() -> Timestamp {
        "2024-05-20T08:30:00Z".parse().unwrap()
    }

    #[test]
    fn rpc_v1_signs_every_sent_parameter() {
        let credentials = Credentials::sts("STS.id", "secret", "to+k/en=", None).unwrap();
        let params = vec![("regionId".to_owned(), "cn-beijing".to_owned())];
        let request =
            signer(SignatureVersion::RpcV1).sign("X", &params, &credentials, "n-1", time());

        let query = request.url.split_once('?').unwrap().1;
        let pairs: Vec<(String, String)> = query
            .split('&')
            .map(|pair| {
                let (n, v) = pair.split_once('=').unwrap();
                (percent_decode(n), percent_decode(v))
            })
            .collect();
        let signed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let presented = signed.iter().find(|(n, _)| *n == "Signature").unwrap().1;
        assert_eq!(
            rpc_v1::signature("POST", signed.iter().copied(), "secret"),
            presented
        );
        assert!(signed.contains(&("SecurityToken", "to+k/en=")));
        assert!(signed.contains(&("Timestamp", "2024-05-20T08:30:00Z")));
        assert!(request.headers.is_empty());
    }

    #[test]
    fn v3_carries_authorization_and_action_headers() {
        let credentials = Credentials::access_key("id", "secret").unwrap();
        let request =
            signer(SignatureVersion::V3).sign("DescribeDisks", &[], &credentials, "n", time());
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("x-acs-action").as_deref(), Some("DescribeDisks"));
        let authorization = v3::Authorization::parse(&header("authorization").unwrap()).unwrap();
        assert!(authorization.signed_headers.contains(&"host".to_owned()));
        assert!(!request.url.contains('?'));
        assert!(!format!("{request:?}").contains(&authorization.signature));
    }

    fn percent_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}

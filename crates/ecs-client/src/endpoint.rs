//! Which host an ECS request goes to.
//!
//! ECS is regional: actions without a `RegionId` parameter (CreateSnapshot, DeleteSnapshot)
//! act in the region of the host they are sent to, so one [`crate::EcsClient`] serves exactly
//! one region.

use reqwest::Url;

use crate::Error;

/// Which network path reaches ECS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkType {
    /// `ecs.<region>.aliyuncs.com`, reachable from anywhere.
    Public,
    /// `ecs-vpc.<region>.aliyuncs.com`, reachable only from inside the region's VPCs, with no
    /// internet egress needed.
    Vpc,
}

/// Where ECS requests are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// The regional endpoint chosen by the SDK rules, always over HTTPS.
    Region {
        region_id: String,
        network: NetworkType,
    },
    /// A full base URL, e.g. a simulator at `http://127.0.0.1:PORT` or a private endpoint.
    Url(Url),
}

/// Regions whose public endpoint is not `ecs.<region>.aliyuncs.com` in the official SDK's
/// endpoint map and still lands in the same region.
const PUBLIC_HOST_EXCEPTIONS: &[(&str, &str)] = &[("cn-hangzhou", "ecs-cn-hangzhou.aliyuncs.com")];

impl Endpoint {
    pub fn public(region_id: impl Into<String>) -> Self {
        Self::Region {
            region_id: region_id.into(),
            network: NetworkType::Public,
        }
    }

    /// The VPC endpoint. Unlike the official SDK, whose region map silently wins over the VPC
    /// choice for cn-hangzhou, this always yields `ecs-vpc.<region>.aliyuncs.com`.
    pub fn vpc(region_id: impl Into<String>) -> Self {
        Self::Region {
            region_id: region_id.into(),
            network: NetworkType::Vpc,
        }
    }

    /// A full override URL; only `http` and `https` with a host are accepted.
    ///
    /// # Errors
    /// [`Error::Config`] when the text is not such a URL.
    pub fn url(text: &str) -> Result<Self, Error> {
        let url =
            Url::parse(text).map_err(|e| Error::Config(format!("endpoint URL {text:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::Config(format!(
                "endpoint URL {text:?} must be http(s)://host[:port]"
            )));
        }
        Ok(Self::Url(url))
    }

    /// The host name ECS requests carry (and sign, with V3).
    ///
    /// # Errors
    /// [`Error::Config`] when the region ID is not a plausible region.
    pub fn host(&self) -> Result<String, Error> {
        let url = self.base_url()?;
        let host = url.host_str().unwrap_or_default();
        Ok(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        })
    }

    /// The URL requests are posted to, with path `/`.
    ///
    /// # Errors
    /// [`Error::Config`] when the region ID is not a plausible region.
    pub fn base_url(&self) -> Result<Url, Error> {
        match self {
            Self::Url(url) => {
                let mut url = url.clone();
                url.set_path("/");
                url.set_query(None);
                Ok(url)
            }
            Self::Region { region_id, network } => {
                let host = regional_host(region_id, *network)?;
                Url::parse(&format!("https://{host}/"))
                    .map_err(|e| Error::Config(format!("endpoint host {host:?}: {e}")))
            }
        }
    }
}

fn regional_host(region_id: &str, network: NetworkType) -> Result<String, Error> {
    let plausible = !region_id.is_empty()
        && region_id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !plausible {
        return Err(Error::Config(format!(
            "{region_id:?} is not a region ID like cn-hangzhou"
        )));
    }

    if network == NetworkType::Vpc {
        return Ok(format!("ecs-vpc.{region_id}.aliyuncs.com"));
    }
    let exception = PUBLIC_HOST_EXCEPTIONS
        .iter()
        .find(|(region, _)| *region == region_id);
    Ok(match exception {
        Some((_, host)) => (*host).to_owned(),
        None => format!("ecs.{region_id}.aliyuncs.com"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_vpc_hosts_follow_the_sdk_rule() {
        assert_eq!(
            Endpoint::public("cn-beijing").host().unwrap(),
            "ecs.cn-beijing.aliyuncs.com"
        );
        assert_eq!(
            Endpoint::vpc("cn-beijing").host().unwrap(),
            "ecs-vpc.cn-beijing.aliyuncs.com"
        );
        let url = Endpoint::public("ap-southeast-1").base_url().unwrap();
        assert_eq!(url.as_str(), "https://ecs.ap-southeast-1.aliyuncs.com/");
    }

    #[test]
    fn hangzhou_uses_the_sdk_map_exception_but_not_for_vpc() {
        assert_eq!(
            Endpoint::public("cn-hangzhou").host().unwrap(),
            "ecs-cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            Endpoint::vpc("cn-hangzhou").host().unwrap(),
            "ecs-vpc.cn-hangzhou.aliyuncs.com"
        );
    }

    #[test]
    fn override_url_keeps_scheme_and_port() {
        let endpoint = Endpoint::url("http://127.0.0.1:8080/ignored?x=1").unwrap();
        assert_eq!(
            endpoint.base_url().unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(endpoint.host().unwrap(), "127.0.0.1:8080");
    }

    #[test]
    fn bad_endpoints_are_config_errors() {
        assert!(matches!(Endpoint::url("ftp://x"), Err(Error::Config(_))));
        assert!(matches!(Endpoint::url("not a url"), Err(Error::Config(_))));
        let err = Endpoint::public("cn hangzhou").base_url().unwrap_err();
        assert!(err.to_string().contains("cn hangzhou"), "{err}");
    }
}

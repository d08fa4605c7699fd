//! The transport settings of `node.toml`: `https://` (TLS), or plaintext `http://` only to a
//! loopback address unless `allow_plaintext = true`.

use crate::error::NodeError;

/// Checks the scheme of the aggregator's address: `https://` (TLS), or `http://` only to a
/// loopback address unless `allow_plaintext` is set.
pub fn check_transport(url: &str, allow_plaintext: bool) -> Result<(), NodeError> {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Ok(());
    }
    if !lower.starts_with("http://") {
        return Err(NodeError::Config(format!(
            "aggregator_url {url:?} in node.toml must start with https:// (TLS) or http://"
        )));
    }
    if allow_plaintext || is_loopback_url(url) {
        return Ok(());
    }
    Err(NodeError::Tls(crate::error::TlsProblem::Plaintext {
        url: url.to_string(),
    }))
}

/// Whether the host of an `http(s)://` address is `localhost` or a loopback IP address.
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(uri) = url.trim().parse::<tonic::codegen::http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::super::NodeConfig;

    #[test]
    fn plaintext_is_allowed_on_loopback_only_unless_allowed_explicitly() {
        let ok = |t: &str| NodeConfig::parse(t).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(ok("aggregator_url = \"https://agg.example:7443\""), Ok(()));
        assert!(ok("aggregator_url = \"agg.example:7443\"").is_err());
        for local in [
            "127.0.0.1:7443",
            "localhost:7443",
            "[::1]:7443",
            "127.3.2.1",
        ] {
            assert_eq!(ok(&format!("aggregator_url = \"http://{local}\"")), Ok(()));
        }
        let err = ok("aggregator_url = \"http://agg.example:7443\"").unwrap_err();
        assert!(
            err.contains("allow_plaintext") && err.contains("https://"),
            "{err}"
        );
        assert!(ok("aggregator_url = \"http://10.0.0.1:7443\"").is_err());
        assert_eq!(
            ok("aggregator_url = \"http://agg.example:7443\"\nallow_plaintext = true"),
            Ok(())
        );
        // mTLS needs both halves.
        let err = ok("client_cert = \"node.crt\"").unwrap_err();
        assert!(err.contains("client_key"), "{err}");
        let c = NodeConfig::parse(
            "aggregator_url = \"https://agg.example\"\naggregator_ca = \"ca.pem\"\n\
             client_cert = \"node.crt\"\nclient_key = \"node.key.pem\"",
        )
        .unwrap();
        assert_eq!(c.aggregator_ca.as_deref(), Some("ca.pem"));
        assert_eq!(NodeConfig::parse(&toml::to_string(&c).unwrap()).unwrap(), c);
    }
}

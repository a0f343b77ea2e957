//! `serve --trusted-proxy`: which peers may say how a request reached them. Behind a TLS-terminating proxy the
//! connection lpaflow sees is plain HTTP from the proxy, so only the proxy's `X-Forwarded-Proto` says the
//! browser used HTTPS (and the console's cookies must then be `Secure`). Anyone can send that header, so it
//! is believed only from a peer on the list: [`strip_untrusted`] removes every forwarding header
//! (`X-Forwarded-*`, `Forwarded`) from any other peer before a handler sees the request, so the code after it
//! may read them without asking who sent them. A request without a known peer (a test's `oneshot`) is
//! untrusted. lpaflow reads only the scheme; it neither logs nor stores client addresses.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

/// The forwarding headers a client could forge.
const FORWARDING: &[&str] = &[
    "x-forwarded-proto",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-port",
    "forwarded",
];

/// An address or a CIDR block (`10.0.0.0/8`, `::1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR block"))?;
        let net = net.to_canonical();
        let bits = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {bits}"))?,
        };
        Ok(Self { net, prefix })
    }
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[full] & mask == b[full] & mask
    }
}

/// The peers whose forwarding headers are believed (none by default).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<Cidr>>);

impl TrustedProxies {
    /// The list from `--trusted-proxy` values (each an address or a CIDR block).
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<Self, String> {
        let cidrs = values
            .iter()
            .map(|v| v.as_ref().parse())
            .collect::<Result<Vec<Cidr>, String>>()?;
        Ok(Self(Arc::new(cidrs)))
    }

    /// Whether `ip` is on the list.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The middleware: forwarding headers survive only from a trusted peer (the server inserts the peer as
/// `ConnectInfo`).
pub async fn strip_untrusted(
    State(trusted): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    if !peer.is_some_and(|ip| trusted.trusts(ip)) {
        for name in FORWARDING {
            req.headers_mut().remove(HeaderName::from_static(name));
        }
    }
    next.run(req).await
}

/// Whether the original request used HTTPS, as a trusted proxy's `X-Forwarded-Proto` says (its last value:
/// the one the proxy next to lpaflow wrote). Only meaningful after [`strip_untrusted`].
pub fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[track_caller]
    fn check(list: &[&str], ip: &str, trusted: bool) {
        let proxies = TrustedProxies::parse(list).unwrap();
        assert_eq!(
            proxies.trusts(ip.parse().unwrap()),
            trusted,
            "{list:?} {ip}"
        );
    }

    #[test]
    fn addresses_and_blocks_are_matched_by_prefix() {
        check(&[], "127.0.0.1", false);
        check(&["127.0.0.1"], "127.0.0.1", true);
        check(&["127.0.0.1"], "127.0.0.2", false);
        check(&["10.0.0.0/8"], "10.200.3.4", true);
        check(&["10.0.0.0/8"], "11.0.0.1", false);
        check(&["192.168.1.0/25"], "192.168.1.127", true);
        check(&["192.168.1.0/25"], "192.168.1.128", false);
        check(&["0.0.0.0/0"], "8.8.8.8", true);
        check(&["::1"], "::1", true);
        check(&["fd00::/8"], "fd12::5", true);
        check(&["fd00::/8"], "fe80::1", false);
        // An IPv4 peer on a dual-stack socket arrives IPv4-mapped.
        check(&["127.0.0.1"], "::ffff:127.0.0.1", true);
        check(&["10.0.0.0/8"], "::1", false);
    }

    #[test]
    fn bad_entries_are_refused_with_their_text() {
        for bad in ["nope", "10.0.0.0/33", "::1/129", "10.0.0.0/x", ""] {
            let e = TrustedProxies::parse(&[bad]).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn the_last_forwarded_proto_counts() {
        let mut h = HeaderMap::new();
        assert!(!forwarded_https(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS"));
        assert!(forwarded_https(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https, http"));
        assert!(!forwarded_https(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("http, https"));
        assert!(forwarded_https(&h));
    }
}

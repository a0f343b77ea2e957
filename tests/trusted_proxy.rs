//! `serve --trusted-proxy` through the real binary (issue 17, point 4): behind a TLS proxy that forwards
//! `Host: 127.0.0.1:…` the console's cookies are `Secure` when a trusted peer says `X-Forwarded-Proto: https`,
//! and the same header from any other peer is ignored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::server::{Server, workflows_dir};
use std::process::{Command, Stdio};

/// The `Set-Cookie` values of the console's sign-in page, asked with `forwarded_proto`.
async fn sign_in_cookies(server: &Server, forwarded_proto: Option<&str>) -> Vec<String> {
    let mut req = reqwest::Client::new().get(format!("{}/console/sign-in", server.base));
    if let Some(proto) = forwarded_proto {
        req = req.header("x-forwarded-proto", proto);
    }
    let r = req.send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        !cookies.is_empty(),
        "the sign-in page sets its nonce cookie"
    );
    cookies
}

fn all_secure(cookies: &[String]) -> bool {
    cookies.iter().all(|c| c.contains("; Secure"))
}

fn none_secure(cookies: &[String]) -> bool {
    cookies.iter().all(|c| !c.contains("Secure"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_saying_https_makes_cookies_secure() {
    let server = Server::start_dev(&[
        "--trusted-proxy",
        "192.0.2.1",
        "--trusted-proxy",
        "127.0.0.0/8",
    ]);
    let cookies = sign_in_cookies(&server, Some("https")).await;
    assert!(all_secure(&cookies), "{cookies:?}");
    // Plain local use stays usable over HTTP.
    let cookies = sign_in_cookies(&server, None).await;
    assert!(none_secure(&cookies), "{cookies:?}");
    let cookies = sign_in_cookies(&server, Some("http")).await;
    assert!(none_secure(&cookies), "{cookies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_header_from_an_untrusted_peer_is_ignored() {
    for extra in [&[][..], &["--trusted-proxy", "10.0.0.0/8,192.0.2.1"][..]] {
        let server = Server::start_dev(extra);
        let cookies = sign_in_cookies(&server, Some("https")).await;
        assert!(none_secure(&cookies), "{extra:?}: {cookies:?}");
    }
}

#[test]
fn a_bad_trusted_proxy_is_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lpaflow"))
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--dev"])
        .args(["--trusted-proxy", "10.0.0.0/33"])
        .arg("--workflows")
        .arg(workflows_dir())
        .env_remove("LPAFLOW_TRUSTED_PROXY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(
        why.contains("--trusted-proxy") && why.contains("10.0.0.0/33"),
        "{why}"
    );
}

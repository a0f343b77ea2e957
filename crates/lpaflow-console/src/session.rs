//! Console sessions and CSRF protection.
//!
//! Signing in (with a token, or a development token) starts a session the server keeps
//! (`lpaflow_app::sessions`): the cookie `lpaflow_console` (HttpOnly, SameSite=Strict, Path=/console; Secure when
//! a trusted proxy says the browser used HTTPS, or when the host is not localhost) holds only the session's
//! random secret. Every request looks the session up, so signing out, an admin's revocation, a sign-in under
//! another role, the idle time and the token's expiry end it at once, in every process sharing the database.
//!
//! Every form carries a CSRF token: `HMAC-SHA256(key = the session secret, "lpaflow console csrf v1")`, hex.
//! Only a holder of the (HttpOnly) session secret can compute it; it changes with every sign-in. [`CheckedForm`] refuses a POST whose token is missing or wrong with a 403 page. The
//! sign-in form, sent before there is a session, is protected the same way with a random nonce kept in the
//! cookie `lpaflow_console_signin`.

use super::layout;
use crate::Context;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use lpaflow_http::auth::Caller;
use rand::Rng;
use sha2::Sha256;

/// The session cookie.
pub(super) const SESSION_COOKIE: &str = "lpaflow_console";
/// The sign-in form's nonce cookie.
pub(super) const SIGNIN_COOKIE: &str = "lpaflow_console_signin";
/// The form field holding the CSRF token.
pub(super) const CSRF_FIELD: &str = "csrf";

const CSRF_CONTEXT: &[u8] = b"lpaflow console csrf v1";

/// A signed-in caller.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// Who, as the API sees them.
    pub(crate) caller: Caller,
    secret: String,
}

impl Session {
    /// The CSRF token every form of this session carries.
    pub(super) fn csrf(&self) -> String {
        csrf_token(&self.secret)
    }

    /// The secret the cookie holds (to end the session).
    pub(super) fn secret(&self) -> &str {
        &self.secret
    }
}

/// `HMAC-SHA256(secret, CSRF_CONTEXT)`, hex.
pub(super) fn csrf_token(secret: &str) -> String {
    hex::encode(mac(secret).finalize().into_bytes())
}

/// Whether `given` is the CSRF token of `secret` (compared in constant time).
pub(super) fn csrf_matches(secret: &str, given: Option<&str>) -> bool {
    let Some(bytes) = given.and_then(|g| hex::decode(g).ok()) else {
        return false;
    };
    mac(secret).verify_slice(&bytes).is_ok()
}

fn mac(secret: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    m.update(CSRF_CONTEXT);
    m
}

/// A fresh random nonce (128 bits, hex).
pub(super) fn nonce() -> String {
    hex::encode(rand::rng().random::<[u8; 16]>())
}

/// The value of cookie `name`, from every `Cookie` header.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the request came to a local address, where browsers allow plain HTTP: cookies are `Secure`
/// everywhere else.
fn is_local(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let name = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_owned()
    };
    matches!(name.as_str(), "localhost" | "127.0.0.1" | "[::1]") || name.ends_with(".localhost")
}

/// Whether cookies must be `Secure`: the original request used HTTPS (a trusted proxy says so; untrusted
/// peers' forwarding headers are gone by now, `proxy.rs`), or it did not come to a local address.
fn secure(headers: &HeaderMap) -> bool {
    lpaflow_http::proxy::forwarded_https(headers) || !is_local(headers)
}

/// A `Set-Cookie` value for the console's path; `max_age_seconds = Some(0)` deletes the cookie.
pub(super) fn set_cookie(
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age_seconds: Option<i64>,
) -> HeaderValue {
    let secure = if secure(headers) { "; Secure" } else { "" };
    let age = max_age_seconds
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("lpaflow_console_invalid=1; Path=/console"))
}

/// Where a request without a valid session goes: the sign-in page (htmx requests are told to go there).
fn to_sign_in(parts: &Parts, ended: bool) -> Response {
    let target = if ended {
        "/console/sign-in?ended=1"
    } else {
        "/console/sign-in"
    };
    let mut response = if parts.headers.contains_key("hx-request") {
        let mut r = StatusCode::OK.into_response();
        r.headers_mut()
            .insert("hx-redirect", HeaderValue::from_static("/console/sign-in"));
        r
    } else {
        Redirect::to(target).into_response()
    };
    if ended {
        response.headers_mut().insert(
            header::SET_COOKIE,
            set_cookie(&parts.headers, SESSION_COOKIE, "", Some(0)),
        );
    }
    response
}

/// Why a request's session cookie opens no session.
enum NoSession {
    /// The session ended (or never existed): sign in again.
    Ended,
    /// The database did not answer: nothing is known.
    Unknown,
}

async fn session_of(parts: &Parts, state: &Context) -> Result<Option<Session>, NoSession> {
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    match state.lpas.session(secret).await {
        Ok(Some(caller)) => Ok(Some(Session {
            caller,
            secret: secret.to_owned(),
        })),
        Ok(None) => Err(NoSession::Ended),
        Err(e) => {
            tracing::warn!(error = %e, "console: a session could not be read");
            Err(NoSession::Unknown)
        }
    }
}

fn unavailable() -> Response {
    layout::message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "Sorry, the service is unavailable",
        "Your session could not be checked because the database did not answer. Try again in a moment.",
    )
}

impl FromRequestParts<Context> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Context) -> Result<Self, Response> {
        match session_of(parts, state).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(to_sign_in(parts, false)),
            Err(NoSession::Ended) => Err(to_sign_in(parts, true)),
            Err(NoSession::Unknown) => Err(unavailable()),
        }
    }
}

impl OptionalFromRequestParts<Context> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Context,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(session_of(parts, state).await.ok().flatten())
    }
}

/// A POSTed form whose CSRF token matches the session.
#[derive(Debug)]
pub(crate) struct CheckedForm {
    /// The session that sent it.
    pub(crate) session: Session,
    /// The fields in order (repeated names kept).
    pub(crate) fields: Vec<(String, String)>,
}

impl CheckedForm {
    /// The first value of `name`.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }
}

/// The first value of `name` in `fields`.
pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Reads an urlencoded form body.
pub(super) async fn read_form(
    req: Request,
    state: &Context,
    session: Option<&Session>,
) -> Result<Vec<(String, String)>, Response> {
    Form::<Vec<(String, String)>>::from_request(req, state)
        .await
        .map(|Form(f)| f)
        .map_err(|e: FormRejection| {
            layout::message_page(
                e.status(),
                session,
                "The form could not be read",
                "The form was not sent as a web form. Go back and try again.",
            )
        })
}

/// The 403 page for a form without its CSRF token.
pub(super) fn csrf_refused(session: Option<&Session>) -> Response {
    tracing::warn!("console: a form without a valid CSRF token was refused");
    layout::message_page(
        StatusCode::FORBIDDEN,
        session,
        "This form could not be accepted",
        "The form arrived without its security token, or with one from an earlier session. This protects you \
         from other websites sending forms in your name. Go back, reload the page and try again.",
    )
}

impl FromRequest<Context> for CheckedForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Context) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session =
            <Session as FromRequestParts<Context>>::from_request_parts(&mut parts, state).await?;
        let fields = read_form(Request::from_parts(parts, body), state, Some(&session)).await?;
        if !csrf_matches(&session.secret, field(&fields, CSRF_FIELD)) {
            return Err(csrf_refused(Some(&session)));
        }
        Ok(Self { session, fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_match_only_their_session() {
        let t = csrf_token("session-a");
        assert!(csrf_matches("session-a", Some(&t)));
        assert!(!csrf_matches("session-b", Some(&t)));
        assert!(!csrf_matches("session-a", None));
        assert!(!csrf_matches("session-a", Some("")));
        assert!(!csrf_matches("session-a", Some("not hex")));
        assert_ne!(nonce(), nonce());
    }

    #[test]
    fn cookies_are_secure_except_on_localhost() {
        let mut h = HeaderMap::new();
        for (host, secure) in [
            ("localhost:8080", false),
            ("127.0.0.1:3000", false),
            ("[::1]:80", false),
            ("console.opg.example", true),
            ("10.0.0.7:8080", true),
        ] {
            h.insert(header::HOST, HeaderValue::from_static(host));
            let c = set_cookie(&h, SESSION_COOKIE, "x", None);
            let c = c.to_str().unwrap();
            assert!(c.contains("HttpOnly; SameSite=Strict"), "{c}");
            assert!(c.contains("Path=/console"), "{c}");
            assert_eq!(c.contains("Secure"), secure, "{host}: {c}");
        }
        // Behind a TLS proxy that forwards `Host: 127.0.0.1:8080` (only a trusted peer's header is left).
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let c = set_cookie(&h, SESSION_COOKIE, "x", None);
        assert!(c.to_str().unwrap().contains("; Secure"), "{c:?}");
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; lpaflow_console=tok; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}

//! The store's JWT check (`internal/shared/jwt.go`, golang-jwt v5 with its default parser), for every
//! LPA route: `X-Jwt-Authorization`, with a `Bearer ` prefix removed if present (`^Bearer[ ]+`).
//!
//! - any HMAC algorithm (HS256, HS384, HS512) with the shared secret: the key function hands back bytes,
//!   which no other algorithm accepts;
//! - `exp` and `nbf` are checked when present (no leeway); claims are read with Go's case-insensitive keys;
//! - `iat` must not be in the future, with no leeway. A token without `iat` makes the store's `Validate`
//!   dereference a nil pointer: the Lambda panics ([`JwtRefusal::Panic`]);
//! - `iss` is one of the three services; `sub` is a URN as `leodido/go-urn` parses it by default (RFC 2141:
//!   `urn:<nid>:<nss>`, the nid 1 to 32 letters, digits or inner hyphens and not `urn`, the nss of letters,
//!   digits, `()+,-.:=@;$_!*'` and `%` followed by two letters or digits).
//!
//! The subject becomes the update's author.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde_json::Value;
use sha2::{Sha256, Sha384, Sha512};

use super::go_json::{Field, Json, Kind, decode};
use super::rules::GoPanic;

/// The header carrying the token.
pub const JWT_HEADER: &str = "x-jwt-authorization";

/// The issuers the store accepts (`validIssuers`).
pub const ISSUERS: [&str; 3] = ["opg.poas.sirius", "opg.poas.makeregister", "opg.poas.use"];

/// Go's `base64.RawURLEncoding`: no padding, trailing bits allowed.
const RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// `jwt.RegisteredClaims`.
const CLAIMS: &[Field] = &[
    Field {
        name: "iss",
        kind: Kind::Text,
    },
    Field {
        name: "sub",
        kind: Kind::Text,
    },
    Field {
        name: "aud",
        kind: Kind::Audience,
    },
    Field {
        name: "exp",
        kind: Kind::NumericDatePointer,
    },
    Field {
        name: "nbf",
        kind: Kind::NumericDatePointer,
    },
    Field {
        name: "iat",
        kind: Kind::NumericDatePointer,
    },
    Field {
        name: "jti",
        kind: Kind::Text,
    },
];

/// A verified token's subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub subject: String,
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtRefusal {
    /// `401 UNAUTHORISED` (the reason is logged, never sent).
    Invalid(&'static str),
    /// The store's verifier panics (answered 500).
    Panic(GoPanic),
}

/// Verifies tokens signed with one secret.
pub struct JwtVerifier {
    secret: Vec<u8>,
}

impl JwtVerifier {
    pub fn new(secret: &str) -> Self {
        Self {
            secret: secret.as_bytes().to_vec(),
        }
    }

    /// `VerifyHeader`: the first `X-Jwt-Authorization` value, checked at `now`.
    pub fn verify_header(
        &self,
        headers: &HeaderMap,
        now: DateTime<Utc>,
    ) -> Result<Claims, JwtRefusal> {
        let header = headers
            .get(JWT_HEADER)
            .ok_or(JwtRefusal::Invalid("invalid X-Jwt-Authorization header"))?;
        let value = String::from_utf8_lossy(header.as_bytes());
        self.verify_token(strip_bearer(&value), now)
    }

    fn verify_token(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, JwtRefusal> {
        let invalid = JwtRefusal::Invalid;
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts.as_slice() else {
            return Err(invalid("token contains an invalid number of segments"));
        };
        let header_json = RAW_URL
            .decode(header)
            .map_err(|_| invalid("could not base64 decode header"))?;
        let header_value: Value = serde_json::from_slice(&header_json)
            .map_err(|_| invalid("could not JSON decode header"))?;
        let claims_json = RAW_URL
            .decode(payload)
            .map_err(|_| invalid("could not base64 decode claim"))?;
        let claims = Json::parse_first(&claims_json)
            .ok()
            .and_then(|json| decode(Kind::Struct(CLAIMS), &json, None).ok())
            .ok_or(invalid("could not JSON decode claim"))?
            .unwrap_or(Value::Null);
        let algorithm = header_value
            .as_object()
            .and_then(|h| h.get("alg"))
            .and_then(Value::as_str)
            .ok_or(invalid("signing method (alg) is unspecified"))?;
        let signature = RAW_URL
            .decode(signature)
            .map_err(|_| invalid("could not base64 decode signature"))?;
        let signing_input = format!("{header}.{payload}");
        if !self.signature_matches(algorithm, signing_input.as_bytes(), &signature) {
            return Err(invalid("signature is invalid"));
        }
        validate_claims(&claims, now)
    }

    fn signature_matches(&self, algorithm: &str, input: &[u8], signature: &[u8]) -> bool {
        macro_rules! hmac_verifies {
            ($hash:ty) => {
                match Hmac::<$hash>::new_from_slice(&self.secret) {
                    Ok(mut mac) => {
                        mac.update(input);
                        mac.verify_slice(signature).is_ok()
                    }
                    Err(_) => false,
                }
            };
        }
        match algorithm {
            "HS256" => hmac_verifies!(Sha256),
            "HS384" => hmac_verifies!(Sha384),
            "HS512" => hmac_verifies!(Sha512),
            _ => false,
        }
    }
}

/// `bearerRegexp.ReplaceAllString(header, "")` with `^Bearer[ ]+`.
fn strip_bearer(value: &str) -> &str {
    match value.strip_prefix("Bearer") {
        Some(rest) if rest.starts_with(' ') => rest.trim_start_matches(' '),
        _ => value,
    }
}

/// A `NumericDate` as Go keeps it: whole seconds, rounded down.
fn seconds(claims: &Value, name: &str) -> Option<i64> {
    let n = claims.get(name)?.as_f64()?;
    // Go truncates to the second towards the zero time, i.e. downwards.
    Some(n.floor() as i64)
}

/// golang-jwt's default validator (`exp`, `nbf`) and then the store's `LpaStoreClaims.Validate`.
fn validate_claims(claims: &Value, now: DateTime<Utc>) -> Result<Claims, JwtRefusal> {
    let now_ns =
        i128::from(now.timestamp()) * 1_000_000_000 + i128::from(now.timestamp_subsec_nanos());
    let at = |s: i64| i128::from(s) * 1_000_000_000;
    let mut invalid = None;
    if let Some(exp) = seconds(claims, "exp")
        && now_ns >= at(exp)
    {
        invalid = Some("token has expired");
    }
    if let Some(nbf) = seconds(claims, "nbf")
        && now_ns < at(nbf)
    {
        invalid = invalid.or(Some("token is not valid yet"));
    }
    // `iat.After(time.Now())` on a nil *NumericDate.
    let iat = seconds(claims, "iat").ok_or(JwtRefusal::Panic(GoPanic(
        "nil pointer dereference: token without iat",
    )))?;
    if at(iat) > now_ns {
        invalid = invalid.or(Some("IssuedAt must not be in the future"));
    }
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
    if !ISSUERS.contains(&text("iss")) {
        invalid = invalid.or(Some("invalid issuer"));
    }
    let subject = text("sub");
    if !is_rfc2141_urn(subject) {
        invalid = invalid.or(Some("subject is not a valid URN"));
    }
    match invalid {
        Some(reason) => Err(JwtRefusal::Invalid(reason)),
        None => Ok(Claims {
            subject: subject.to_owned(),
        }),
    }
}

/// `urn.Parse` in its default (RFC 2141) mode.
fn is_rfc2141_urn(s: &str) -> bool {
    let mut parts = s.splitn(3, ':');
    let (Some(prefix), Some(nid), Some(nss)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let nid_ok = !nid.is_empty()
        && nid.len() <= 32
        && nid.as_bytes()[0].is_ascii_alphanumeric()
        && nid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !nid.eq_ignore_ascii_case("urn");
    prefix.eq_ignore_ascii_case("urn") && nid_ok && is_rfc2141_nss(nss)
}

fn is_rfc2141_nss(nss: &str) -> bool {
    let b = nss.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let pair_ok = b.get(i + 1).is_some_and(u8::is_ascii_alphanumeric)
                    && b.get(i + 2).is_some_and(u8::is_ascii_alphanumeric);
                if !pair_ok {
                    return false;
                }
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || b"()+,-.:=@;$_!*'".contains(&c) => i += 1,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    //! internal/shared/jwt_test.go
    use super::*;
    use serde_json::json;

    const SECRET: &str = "mysupersecrettestkeythatis128bits";

    fn token(alg: &str, claims: &Value, secret: &str) -> String {
        let header = RAW_URL.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
        let payload = RAW_URL.encode(claims.to_string());
        let input = format!("{header}.{payload}");
        let signature = match alg {
            "HS512" => {
                let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).expect("key");
                mac.update(input.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            _ => {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
                mac.update(input.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
        };
        format!("{input}.{}", RAW_URL.encode(signature))
    }

    fn good(now: i64) -> Value {
        json!({"exp": now + 3600, "iat": now - 3600, "iss": "opg.poas.sirius", "sub": "urn:opg:poas:sirius:users:34"})
    }

    fn check(t: &str, now: DateTime<Utc>) -> Result<Claims, JwtRefusal> {
        let mut headers = HeaderMap::new();
        headers.insert(JWT_HEADER, format!("Bearer {t}").parse().expect("header"));
        JwtVerifier::new(SECRET).verify_header(&headers, now)
    }

    #[test]
    fn valid_tokens_give_the_subject() {
        // TestVerifyToken, TestVerifyHeader
        let now = Utc::now();
        let s = now.timestamp();
        assert_eq!(
            check(&token("HS256", &good(s), SECRET), now).map(|c| c.subject),
            Ok("urn:opg:poas:sirius:users:34".into())
        );
        assert!(
            check(&token("HS512", &good(s), SECRET), now).is_ok(),
            "any HMAC"
        );
        let mut upper = good(s);
        upper["ISS"] = upper["iss"].take();
        upper.as_object_mut().expect("object").remove("iss");
        assert!(
            check(&token("HS256", &upper, SECRET), now).is_ok(),
            "Go reads claims case-insensitively"
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            JWT_HEADER,
            token("HS256", &good(s), SECRET).parse().expect("header"),
        );
        assert!(
            JwtVerifier::new(SECRET)
                .verify_header(&headers, now)
                .is_ok(),
            "the prefix is optional"
        );
    }

    #[test]
    fn invalid_tokens_are_refused() {
        // TestVerifyExpInPast, TestVerifyIatInFuture, TestVerifyIssuer, TestVerifyBadSubject, TestVerifyGoodJwt...
        let now = Utc::now();
        let s = now.timestamp();
        let refused = |claims: Value| {
            matches!(
                check(&token("HS256", &claims, SECRET), now),
                Err(JwtRefusal::Invalid(_))
            )
        };
        let with = |k: &str, v: Value| {
            let mut c = good(s);
            c[k] = v;
            c
        };
        assert!(refused(with("exp", json!(s - 1))));
        assert!(
            refused(with("exp", json!(s))),
            "exp must be strictly after now"
        );
        assert!(refused(with("iat", json!(s + 1))), "no leeway for iat");
        assert!(!refused(with("iat", json!(s))));
        assert!(refused(with("nbf", json!(s + 60))));
        assert!(refused(with("iss", json!("opg.poas.elsewhere"))));
        assert!(refused(with("sub", json!("not a urn"))));
        assert!(refused(with("sub", json!("urn:urn:x"))));
        assert!(refused(with("sub", json!("urn:opg:poas/sirius"))));
        assert!(
            refused(with("iss", json!(5))),
            "a claim of the wrong type fails the decode"
        );
        assert!(matches!(
            check(&token("HS256", &good(s), "another secret"), now),
            Err(JwtRefusal::Invalid(_))
        ));
        assert!(matches!(
            check(&token("RS256", &good(s), SECRET), now),
            Err(JwtRefusal::Invalid(_))
        ));
        assert!(matches!(check("a.b", now), Err(JwtRefusal::Invalid(_))));
        assert!(matches!(
            JwtVerifier::new(SECRET).verify_header(&HeaderMap::new(), now),
            Err(JwtRefusal::Invalid(_))
        ));
        let mut no_iat = good(s);
        no_iat.as_object_mut().expect("object").remove("iat");
        assert!(matches!(
            check(&token("HS256", &no_iat, SECRET), now),
            Err(JwtRefusal::Panic(_))
        ));
    }

    #[test]
    fn urns_follow_rfc_2141() {
        for ok in [
            "urn:opg:poas:makeregister:users:9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d",
            "URN:a:b",
            "urn:a-b:%2f",
        ] {
            assert!(is_rfc2141_urn(ok), "{ok}");
        }
        for bad in [
            "urn:a",
            "urn::b",
            "urn:-a:b",
            "urn:a:b c",
            "urn:a:b/c",
            "urn:a:%2",
            "x:a:b",
            &format!("urn:{}:b", "a".repeat(33)),
        ] {
            assert!(!is_rfc2141_urn(bad), "{bad}");
        }
    }
}

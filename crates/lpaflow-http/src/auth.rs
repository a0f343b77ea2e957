//! Authentication: `Authorization: Bearer <JWT>`, HS256, claims `sub` (the history's actor), `role` and
//! `exp` (required), 30 seconds of clock-skew leeway. `lpaflow token issue` and the development tokens of
//! `serve --dev` are minted by the same [`Authenticator`], with the same secret.

use crate::problem::Problem;
use axum::http::StatusCode;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use lpaflow_app::{Caller, Role};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    exp: i64,
    iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
}

/// The longest a token may live (`exp - iat`): 24 hours. `token issue --ttl` refuses more and the
/// authenticator refuses tokens minted for longer, so a leaked token is useful for a day at most.
pub const TOKEN_TTL_MAX_SECONDS: i64 = 24 * 3600;

/// The shortest secret accepted (HS256 wants a key as long as its hash).
pub const SECRET_MIN_BYTES: usize = 32;

/// Why `secret` is too weak to sign tokens, if it is: too short, or one character repeated.
pub fn secret_weakness(secret: &[u8]) -> Option<String> {
    if secret.len() < SECRET_MIN_BYTES {
        return Some(format!(
            "is {} bytes; use at least {SECRET_MIN_BYTES} random bytes",
            secret.len()
        ));
    }
    if secret.iter().all(|b| *b == secret[0]) {
        return Some("is one character repeated; use random bytes".to_owned());
    }
    None
}

/// The longest subject accepted (it is stored in every history entry).
pub const SUB_MAX_BYTES: usize = 256;

/// Mints and verifies tokens with one secret.
#[derive(Clone)]
pub struct Authenticator {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authenticator(HS256)")
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("an `Authorization: Bearer <token>` header is required")]
    Missing,
    /// Expired, forged, malformed, or missing claims.
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

impl Authenticator {
    /// An authenticator for `secret` (see [`secret_weakness`]).
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if let Some(why) = secret_weakness(secret) {
            return Err(format!("the JWT secret {why}"));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        })
    }

    /// A token for `sub` in `role`, valid for `ttl_seconds` (at most [`TOKEN_TTL_MAX_SECONDS`]).
    pub fn issue(&self, sub: &str, role: Role, ttl_seconds: i64) -> Result<String, String> {
        if ttl_seconds > TOKEN_TTL_MAX_SECONDS {
            return Err(format!(
                "a token may live at most {TOKEN_TTL_MAX_SECONDS} s (24h); asked for {ttl_seconds} s"
            ));
        }
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            exp: now + ttl_seconds,
            iat: now,
            nbf: None,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| e.to_string())
    }

    /// Verifies a bearer token.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        self.verify_until(token).map(|(caller, _)| caller)
    }

    /// Verifies a token and says until when it is valid (its `exp`).
    pub fn verify_until(
        &self,
        token: &str,
    ) -> Result<(Caller, chrono::DateTime<chrono::Utc>), AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let lifetime = data.claims.exp.saturating_sub(data.claims.iat);
        if lifetime > TOKEN_TTL_MAX_SECONDS {
            return Err(AuthError::Invalid(format!(
                "the token lives {lifetime} s; at most {TOKEN_TTL_MAX_SECONDS} s are accepted"
            )));
        }
        let sub = data.claims.sub;
        if sub.is_empty()
            || sub.len() > SUB_MAX_BYTES
            || lpaflow_core::text::refused_char(&sub, lpaflow_core::text::TextKind::Line).is_some()
        {
            return Err(AuthError::Invalid(format!(
                "`sub` must be 1 to {SUB_MAX_BYTES} printable bytes"
            )));
        }
        let until = chrono::DateTime::from_timestamp(data.claims.exp, 0)
            .ok_or_else(|| AuthError::Invalid("`exp` is out of range".to_owned()))?;
        Ok((
            Caller {
                sub,
                role: data.claims.role,
            },
            until,
        ))
    }

    /// Verifies the `Authorization` header of a request.
    pub fn verify_parts(&self, parts: &Parts) -> Result<Caller, AuthError> {
        let value = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or(AuthError::Missing)?;
        let text = value
            .to_str()
            .map_err(|_| AuthError::Invalid("the header is not text".to_owned()))?;
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .ok_or(AuthError::Missing)?;
        self.verify(token.trim())
    }
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        let code = match e {
            AuthError::Missing => "unauthenticated",
            AuthError::Invalid(_) => "invalid_token",
        };
        Problem::new(StatusCode::UNAUTHORIZED, code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_forged_or_expired_ones_do_not() {
        let auth = Authenticator::new(b"0123456789abcdef0123456789abcdef").unwrap();
        let token = auth.issue("urn:svc:make", Role::Service, 60).unwrap();
        assert_eq!(
            auth.verify(&token).unwrap(),
            Caller {
                sub: "urn:svc:make".into(),
                role: Role::Service
            }
        );
        let other = Authenticator::new(b"another secret of thirty-two b..").unwrap();
        assert!(matches!(other.verify(&token), Err(AuthError::Invalid(_))));
        let expired = auth.issue("x", Role::Admin, -120).unwrap();
        assert!(matches!(auth.verify(&expired), Err(AuthError::Invalid(_))));
        assert!(Authenticator::new(b"short").is_err());
    }

    const SECRET: &[u8] = b"a secret of at least thirty-two bytes";

    fn signed(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    #[test]
    fn secrets_that_are_short_or_one_repeated_character_are_refused() {
        for (secret, why) in [
            (&b"aaaaaaaaaaaaaaaa"[..], "16 bytes"),
            (&[b'a'; 64][..], "one character repeated"),
            (&b"0123456789abcdef0123456789abcde"[..], "31 bytes"),
        ] {
            let e = Authenticator::new(secret).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        assert!(Authenticator::new(SECRET).is_ok());
    }

    #[test]
    fn tokens_living_longer_than_the_maximum_are_neither_issued_nor_accepted() {
        let auth = Authenticator::new(SECRET).unwrap();
        assert!(auth.issue("x", Role::Admin, TOKEN_TTL_MAX_SECONDS).is_ok());
        assert!(
            auth.issue("x", Role::Admin, TOKEN_TTL_MAX_SECONDS + 1)
                .is_err()
        );
        let now = chrono::Utc::now().timestamp();
        let day = signed(
            serde_json::json!({"sub": "x", "role": "admin", "iat": now, "exp": now + TOKEN_TTL_MAX_SECONDS}),
        );
        assert!(auth.verify(&day).is_ok());
        let long = signed(
            serde_json::json!({"sub": "x", "role": "admin", "iat": now, "exp": now + TOKEN_TTL_MAX_SECONDS + 1}),
        );
        let e = auth.verify(&long).unwrap_err();
        assert!(
            matches!(&e, AuthError::Invalid(why) if why.contains("lives")),
            "{e}"
        );
    }

    #[test]
    fn a_token_not_yet_valid_is_refused() {
        let auth = Authenticator::new(SECRET).unwrap();
        let now = chrono::Utc::now().timestamp();
        let claims = |nbf: i64| serde_json::json!({"sub": "x", "role": "admin", "iat": now, "exp": now + 600, "nbf": nbf});
        assert!(auth.verify(&signed(claims(now + 300))).is_err());
        assert!(auth.verify(&signed(claims(now - 1))).is_ok());
    }
}

//! Authentication: `Authorization: Bearer <JWT>`, HS256, claims `sub` (the history's actor), `role` and
//! `exp` (required), 30 seconds of clock-skew leeway. `lpaflow token issue` and the development tokens of
//! `serve --dev` are minted by the same [`Authenticator`], with the same secret.

use crate::problem::Problem;
use axum::http::StatusCode;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who a caller is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Role {
    /// Services that create LPAs, change data and fire service events.
    Service,
    /// Caseworkers who make manual decisions.
    Caseworker,
    /// Auditors who read history and verify chains, and change nothing.
    Auditor,
    /// Administrators of maintenance windows and workflows.
    Admin,
}

impl Role {
    /// Every role, in the order people meet them.
    pub const ALL: [Role; 4] = [Role::Service, Role::Caseworker, Role::Auditor, Role::Admin];
}

/// A verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's subject: the actor recorded in history.
    pub sub: String,
    /// The token's role.
    pub role: Role,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    exp: i64,
    iat: i64,
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
    /// An authenticator for `secret` (at least 16 bytes).
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 16 {
            return Err(format!(
                "the JWT secret is {} bytes; use at least 16",
                secret.len()
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        })
    }

    /// A token for `sub` in `role`, valid for `ttl_seconds`.
    pub fn issue(&self, sub: &str, role: Role, ttl_seconds: i64) -> Result<String, String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            exp: now + ttl_seconds,
            iat: now,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| e.to_string())
    }

    /// Verifies a bearer token.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let sub = data.claims.sub;
        if sub.is_empty()
            || sub.len() > SUB_MAX_BYTES
            || lpaflow_core::text::refused_char(&sub, lpaflow_core::text::TextKind::Line).is_some()
        {
            return Err(AuthError::Invalid(format!(
                "`sub` must be 1 to {SUB_MAX_BYTES} printable bytes"
            )));
        }
        Ok(Caller {
            sub,
            role: data.claims.role,
        })
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

impl Caller {
    /// Refuses the request unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), Problem> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.into()).collect();
            Err(Problem::forbidden(format!(
                "the role {} may not {what}; allowed: {}",
                self.role,
                allowed.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_forged_or_expired_ones_do_not() {
        let auth = Authenticator::new(b"0123456789abcdef0123").unwrap();
        let token = auth.issue("urn:svc:make", Role::Service, 60).unwrap();
        assert_eq!(
            auth.verify(&token).unwrap(),
            Caller {
                sub: "urn:svc:make".into(),
                role: Role::Service
            }
        );
        let other = Authenticator::new(b"another secret of 20b").unwrap();
        assert!(matches!(other.verify(&token), Err(AuthError::Invalid(_))));
        let expired = auth.issue("x", Role::Admin, -120).unwrap();
        assert!(matches!(auth.verify(&expired), Err(AuthError::Invalid(_))));
        assert!(Authenticator::new(b"short").is_err());
    }
}

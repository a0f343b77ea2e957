//! The `X-Jwt-Authorization` token both sides share: the client mints a fresh HS256 token per request (so `iat`
//! is always "now"), the simulator verifies it as the LPA Store does and takes `sub` as the update's author.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The development secret used by both the client and the simulator when `LPAFLOW_OPG_JWT_SECRET` is unset
/// (the CLI warns when it falls back to it). Never use it against a real OPG.
pub const DEV_JWT_SECRET: &str = "lpaflow-dev-opg-jwt-secret-not-for-production";

/// The header carrying `Bearer <token>`.
pub const JWT_HEADER: &str = "x-jwt-authorization";

/// The issuers the LPA Store accepts.
pub const ISSUERS: [&str; 3] = ["opg.poas.sirius", "opg.poas.makeregister", "opg.poas.use"];

/// The client's default issuer.
pub const DEFAULT_ISSUER: &str = "opg.poas.makeregister";

/// The client's default subject (the author of its updates).
pub const DEFAULT_SUBJECT: &str = "urn:opg:poas:makeregister:users:lpaflow";

/// How far in the future `iat` may be (clock skew between the two sides).
pub const IAT_LEEWAY_S: i64 = 5;

/// Upper bound on a token's length; anything longer is refused before it is decoded.
const TOKEN_BYTES_MAX: usize = 4096;

/// How far back lpaflow dates `iat`: the LPA Store refuses a token issued after its own clock's now, with
/// no leeway (`internal/shared/jwt.go`), so a client clock a little ahead must not make every request fail.
pub const IAT_BACKDATE_S: i64 = 30;

/// How long a token lpaflow mints is valid (`exp`); each request mints its own.
pub const TOKEN_TTL_S: i64 = 300;

/// The claims lpaflow sends and the simulator requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// Why a token was refused (or could not be minted).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("missing X-Jwt-Authorization header")]
    Missing,
    #[error("X-Jwt-Authorization must be `Bearer <token>`")]
    Malformed,
    #[error("invalid token")]
    Invalid(#[source] jsonwebtoken::errors::Error),
    #[error("issuer `{0}` is not accepted")]
    Issuer(String),
    #[error("token issued in the future")]
    IssuedInFuture,
    #[error("subject must be a URN")]
    Subject,
    #[error("could not sign a token")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// Checks the parts of the claims that are not the signature: issuer, subject shape, `iat`.
pub fn check_claims(claims: &Claims, now_s: i64) -> Result<(), Error> {
    if !ISSUERS.contains(&claims.iss.as_str()) {
        return Err(Error::Issuer(claims.iss.clone()));
    }
    if !claims.sub.starts_with("urn:") {
        return Err(Error::Subject);
    }
    if claims.iat > now_s + IAT_LEEWAY_S {
        return Err(Error::IssuedInFuture);
    }
    Ok(())
}

/// Mints tokens for one issuer and subject.
#[derive(Clone)]
pub struct Signer {
    key: EncodingKey,
    issuer: String,
    subject: String,
}

impl Signer {
    /// Refuses an issuer the LPA Store would refuse, so a misconfiguration shows at start-up.
    pub fn new(secret: &str, issuer: &str, subject: &str) -> Result<Self, Error> {
        let claims = Claims {
            iss: issuer.to_owned(),
            sub: subject.to_owned(),
            iat: 0,
            exp: None,
        };
        check_claims(&claims, 0)?;
        Ok(Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
        })
    }

    /// The configured subject (the author of lpaflow's updates).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// A token for the configured subject, minted at `now_s` (seconds since the epoch).
    pub fn mint(&self, now_s: i64) -> Result<String, Error> {
        self.mint_for(now_s, &self.subject)
    }

    /// A token whose subject is `subject`: the store takes an opt-out's actor from it
    /// (`urn:opg:poas:makeregister:users:<uid>`). `iat` is dated [`IAT_BACKDATE_S`] back, `exp`
    /// [`TOKEN_TTL_S`] ahead.
    pub fn mint_for(&self, now_s: i64, subject: &str) -> Result<String, Error> {
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: subject.to_owned(),
            iat: now_s - IAT_BACKDATE_S,
            exp: Some(now_s + TOKEN_TTL_S),
        };
        if !claims.sub.starts_with("urn:") {
            return Err(Error::Subject);
        }
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(Error::Sign)
    }
}

/// Verifies `X-Jwt-Authorization` header values.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Verifier {
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // The LPA Store's tokens carry no `exp`; freshness is `iat`, checked by `check_claims`.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// The claims of a valid `Bearer <token>` header value.
    pub fn verify(&self, header: Option<&str>, now_s: i64) -> Result<Claims, Error> {
        let header = header.ok_or(Error::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or(Error::Malformed)?
            .trim();
        if token.is_empty() || token.len() > TOKEN_BYTES_MAX {
            return Err(Error::Malformed);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(Error::Invalid)?;
        check_claims(&data.claims, now_s)?;
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_verifies_and_a_forged_one_does_not() {
        let signer = Signer::new("s1", DEFAULT_ISSUER, DEFAULT_SUBJECT).expect("valid issuer");
        let token = signer.mint(1_000).expect("mint");
        let ok = Verifier::new("s1")
            .verify(Some(&format!("Bearer {token}")), 1_000)
            .expect("valid");
        assert_eq!(ok.sub, DEFAULT_SUBJECT);
        assert!(matches!(
            Verifier::new("other").verify(Some(&format!("Bearer {token}")), 1_000),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            Verifier::new("s1").verify(Some(&token), 1_000),
            Err(Error::Malformed)
        ));
        assert!(matches!(
            Verifier::new("s1").verify(None, 1_000),
            Err(Error::Missing)
        ));
        assert!(matches!(
            Verifier::new("s1").verify(
                Some(&format!("Bearer {token}")),
                1_000 - IAT_BACKDATE_S - IAT_LEEWAY_S - 1
            ),
            Err(Error::IssuedInFuture)
        ));
        let opt_out = signer
            .mint_for(1_000, "urn:opg:poas:makeregister:users:9ac5cb7c")
            .expect("mint");
        let claims = Verifier::new("s1")
            .verify(Some(&format!("Bearer {opt_out}")), 1_000)
            .expect("valid");
        assert_eq!(claims.sub, "urn:opg:poas:makeregister:users:9ac5cb7c");
        assert_eq!(claims.exp, Some(1_000 + TOKEN_TTL_S));
        assert!(signer.mint_for(1_000, "not-a-urn").is_err());
    }

    #[test]
    fn unknown_issuer_is_refused_at_construction() {
        assert!(matches!(
            Signer::new("s", "someone.else", DEFAULT_SUBJECT),
            Err(Error::Issuer(_))
        ));
    }
}

//! The `X-Jwt-Authorization` token of lpaflow's requests: HS256, minted fresh for each request, with `sub` the
//! update's author (lpaflow's configured subject, or an opting-out actor). The simulator verifies tokens with
//! its own port of the store's check (`simulator::auth`), not with this code.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
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

/// How far back lpaflow dates `iat`: the LPA Store refuses a token issued after its own clock's now, with
/// no leeway (`internal/shared/jwt.go`), so a client clock a little ahead must not make every request fail.
pub const IAT_BACKDATE_S: i64 = 30;

/// How long a token lpaflow mints is valid (`exp`); each request mints its own.
pub const TOKEN_TTL_S: i64 = 300;

/// The claims lpaflow sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "issuer `{0}` is not one the LPA Store accepts (opg.poas.sirius, opg.poas.makeregister, opg.poas.use)"
    )]
    Issuer(String),
    #[error("subject `{0}` must be a URN (urn:...)")]
    Subject(String),
    #[error("could not sign a token")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

fn check_subject(subject: &str) -> Result<(), Error> {
    if subject.starts_with("urn:") && subject.len() > 4 {
        Ok(())
    } else {
        Err(Error::Subject(subject.to_owned()))
    }
}

/// Mints tokens for one issuer; the subject is the configured one or the author of an update.
#[derive(Clone)]
pub struct Signer {
    key: EncodingKey,
    issuer: String,
    subject: String,
}

impl Signer {
    /// Refuses an issuer or subject the LPA Store would refuse, so a misconfiguration shows at start-up.
    pub fn new(secret: &str, issuer: &str, subject: &str) -> Result<Self, Error> {
        if !ISSUERS.contains(&issuer) {
            return Err(Error::Issuer(issuer.to_owned()));
        }
        check_subject(subject)?;
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
        check_subject(subject)?;
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: subject.to_owned(),
            iat: now_s - IAT_BACKDATE_S,
            exp: now_s + TOKEN_TTL_S,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(Error::Sign)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    fn decode(token: &str, secret: &str) -> Option<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &v)
            .ok()
            .map(|d| d.claims)
    }

    #[test]
    fn tokens_carry_the_author_a_backdated_iat_and_an_expiry() {
        let signer = Signer::new("s1", DEFAULT_ISSUER, DEFAULT_SUBJECT).expect("valid");
        let claims = decode(&signer.mint(1_000).expect("mint"), "s1").expect("signed with s1");
        assert_eq!(claims.sub, DEFAULT_SUBJECT);
        assert_eq!(claims.iat, 1_000 - IAT_BACKDATE_S);
        assert_eq!(claims.exp, 1_000 + TOKEN_TTL_S);
        let opt_out = signer
            .mint_for(1_000, "urn:opg:poas:makeregister:users:9ac5cb7c")
            .expect("mint");
        assert_eq!(
            decode(&opt_out, "s1").expect("valid").sub,
            "urn:opg:poas:makeregister:users:9ac5cb7c"
        );
        assert!(decode(&opt_out, "other").is_none());
        assert!(matches!(
            signer.mint_for(1_000, "lpaflow"),
            Err(Error::Subject(_))
        ));
    }

    #[test]
    fn an_issuer_or_subject_the_store_refuses_is_refused_at_construction() {
        assert!(matches!(
            Signer::new("s", "someone.else", DEFAULT_SUBJECT),
            Err(Error::Issuer(_))
        ));
        assert!(matches!(
            Signer::new("s", DEFAULT_ISSUER, "lpaflow"),
            Err(Error::Subject(_))
        ));
    }
}

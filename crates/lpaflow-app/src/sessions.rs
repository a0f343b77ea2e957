//! Console sessions, held by the server. The browser keeps a random secret (256 bits); the store keeps its
//! SHA-256, the caller, and the session's life: it ends on sign-out, when an admin revokes it, when the same
//! subject signs in under another role, after [`ServiceSettings::session_idle`] without use, and at its
//! token's expiry. Times are the wall clock's (moving the development clock does not sign anyone out). Any
//! process sharing the database serves any session.

use crate::caller::{Caller, Forbidden, Role};
use crate::service::LpaService;
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_engine::Error;
use lpaflow_store::ConsoleSession;
use rand::Rng;
use sha2::{Digest, Sha256};

/// A session's last use is written at most this often.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);
/// Sessions an admin's list shows at most.
pub const LISTED_MAX: u32 = 500;

/// Who may list and revoke sessions.
pub const ADMINS: &[Role] = &[Role::Admin];

/// A session as an admin sees it: its id (the SHA-256 of its secret, never the secret) and its caller.
pub type SessionView = ConsoleSession;

/// The store's id of a session secret.
fn id_of(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl LpaService {
    /// Starts a session for `caller`, whose token is valid until `until`; ends the subject's sessions in other
    /// roles. Returns the secret the browser keeps.
    pub async fn start_session(
        &self,
        caller: &Caller,
        until: DateTime<Utc>,
    ) -> Result<String, Error> {
        let now = Utc::now();
        let secret = hex::encode(rand::rng().random::<[u8; 32]>());
        let role = caller.role.to_string();
        let ended = self
            .store
            .end_other_role_sessions(&caller.sub, &role, now, "signed in under another role")
            .await?;
        if ended > 0 {
            tracing::info!(actor = %caller.sub, role = %role, ended, "console: sessions in other roles ended");
        }
        self.store
            .start_session(&ConsoleSession {
                id: id_of(&secret),
                subject: caller.sub.clone(),
                role,
                created_at: now,
                last_seen_at: now,
                expires_at: until,
                ended_at: None,
                ended_why: None,
            })
            .await?;
        Ok(secret)
    }

    /// The caller of the session `secret` opens, if it is open: not ended, not expired, used within the idle
    /// time (a session found idle or expired is ended here, with the reason).
    pub async fn session(&self, secret: &str) -> Result<Option<Caller>, Error> {
        let id = id_of(secret);
        let Some(s) = self.store.session(&id).await? else {
            return Ok(None);
        };
        let now = Utc::now();
        if s.ended_at.is_some() {
            return Ok(None);
        }
        let why = if now >= s.expires_at {
            Some("its token expired")
        } else if now - s.last_seen_at >= self.settings.session_idle {
            Some("idle")
        } else {
            None
        };
        if let Some(why) = why {
            self.store.end_session(&id, now, why).await?;
            return Ok(None);
        }
        let Ok(role) = s.role.parse::<Role>() else {
            return Ok(None);
        };
        if now - s.last_seen_at >= TOUCH_EVERY {
            self.store.touch_session(&id, now).await?;
        }
        Ok(Some(Caller {
            sub: s.subject,
            role,
        }))
    }

    /// Ends the session `secret` opens (sign-out); `false` when it had ended already.
    pub async fn end_session(&self, secret: &str) -> Result<bool, Error> {
        Ok(self
            .store
            .end_session(&id_of(secret), Utc::now(), "signed out")
            .await?)
    }

    /// The open sessions, most recently used first (admins only).
    pub async fn open_sessions(&self, caller: &Caller) -> Result<Vec<SessionView>, SessionError> {
        caller
            .require(ADMINS, "list console sessions")
            .map_err(SessionError::Forbidden)?;
        Ok(self.store.open_sessions(Utc::now(), LISTED_MAX).await?)
    }

    /// Ends session `id` (its store id, as listed) as `caller` (admins only); `false` when it had ended.
    pub async fn revoke_session(&self, caller: &Caller, id: &str) -> Result<bool, SessionError> {
        caller
            .require(ADMINS, "revoke console sessions")
            .map_err(SessionError::Forbidden)?;
        let why = format!("revoked by {}", caller.sub);
        let revoked = self.store.end_session(id, Utc::now(), &why).await?;
        if revoked {
            tracing::info!(actor = %caller.sub, "console: a session was revoked");
        }
        Ok(revoked)
    }
}

/// Why a session operation was refused.
#[derive(Debug)]
pub enum SessionError {
    /// Only admins list and revoke sessions.
    Forbidden(Forbidden),
    /// The store failed.
    Engine(Error),
}

impl From<lpaflow_store::Error> for SessionError {
    fn from(e: lpaflow_store::Error) -> Self {
        Self::Engine(e.into())
    }
}

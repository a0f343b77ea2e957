//! Who is acting: a role and the subject recorded in history as the actor. The adapters authenticate (a bearer
//! token, a console session) and hand the service a [`Caller`]; the service and the workflow's role lists decide
//! what that caller may do.

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

    /// Whether the role sees personal data (names, dates of birth, contact details, addresses, income): the
    /// services that send applications and the caseworkers who decide on them. Auditors and admins see the
    /// same records with those values masked (`lpaflow_lpa::personal`).
    pub fn sees_personal_data(self) -> bool {
        matches!(self, Role::Service | Role::Caseworker)
    }
}

/// A verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The subject: the actor recorded in history.
    pub sub: String,
    /// The role.
    pub role: Role,
}

/// A caller whose role may not do what it asked; the sentence names the role and the roles that may.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

impl Caller {
    /// Refuses unless the caller has one of `roles`; `what` completes "the role X may not ...".
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), Forbidden> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.into()).collect();
            Err(Forbidden(format!(
                "the role {} may not {what}; allowed: {}",
                self.role,
                allowed.join(", ")
            )))
        }
    }
}

//! Newtype names for the parts of a workflow, so that a state can never be passed where an event is expected.
//!
//! Names are validated where they enter the system (the definition validator, the HTTP edge); inside, they are
//! cheap to clone and compare. Every name is a non-empty identifier of ASCII letters, digits, `_`, `-`, `.` and
//! `:` (step names such as `opg.update:CERTIFICATE_PROVIDER_SIGN` need the last two).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The longest name accepted anywhere (bytes). Names end up in URLs, metric labels and database keys.
pub const NAME_MAX_BYTES: usize = 128;

/// Why a string is not a valid name.
pub fn name_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".to_owned());
    }
    if s.len() > NAME_MAX_BYTES {
        return Some(format!(
            "is {} bytes long; the limit is {NAME_MAX_BYTES}",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
    {
        return Some(format!(
            "contains {c:?}; use letters, digits, '_', '-', '.' or ':'"
        ));
    }
    None
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Wraps a string that the caller has already validated (or that came from a validated definition).
            pub fn new(s: impl AsRef<str>) -> Self {
                Self(Arc::from(s.as_ref()))
            }

            /// Wraps `s` if it is a valid name, or says why not.
            pub fn parse(s: &str) -> Result<Self, String> {
                match name_problem(s) {
                    Some(why) => Err(why),
                    None => Ok(Self::new(s)),
                }
            }

            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", &*self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::new(s)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }
    };
}

name_type!(
    /// A state of a workflow, e.g. `signing`.
    StateName
);
name_type!(
    /// An event that moves an instance, e.g. `submit`.
    EventName
);
name_type!(
    /// A role allowed to fire events, e.g. `caseworker`. The role `system` is the engine itself.
    RoleName
);
name_type!(
    /// A named guard, implemented by the domain rules (e.g. `no_blocking_findings`).
    GuardName
);
name_type!(
    /// A named action that computes the data change of a transition (e.g. `lpa.sign`).
    ActionName
);
name_type!(
    /// A named step delivered to an external system from the outbox (e.g. `opg.create`).
    StepName
);
name_type!(
    /// A named timer of a state (e.g. `waiting_period`).
    TimerName
);
name_type!(
    /// The id of one workflow instance (for LPAs, the `M-XXXX-XXXX-XXXX` uid).
    InstanceId
);
name_type!(
    /// Who fired a command: a JWT subject, or `system:<what>` for the engine.
    Actor
);

impl RoleName {
    /// The engine's own role: timers, automatic transitions and step confirmations fire as `system`.
    pub fn system() -> Self {
        Self::new(SYSTEM_ROLE)
    }

    /// True for the engine's own role.
    pub fn is_system(&self) -> bool {
        self.as_str() == SYSTEM_ROLE
    }
}

/// The name of the engine's own role.
pub const SYSTEM_ROLE: &str = "system";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_accept_identifiers_and_step_names() {
        assert!(name_problem("opg.update:CERTIFICATE_PROVIDER_SIGN").is_none());
        assert!(name_problem("statutory_waiting_period").is_none());
        assert!(name_problem("M-ABCD-3467-QWER").is_none());
    }

    #[test]
    fn names_refuse_empty_spaces_and_long_strings() {
        assert_eq!(name_problem("").as_deref(), Some("must not be empty"));
        assert_eq!(
            name_problem("two words").as_deref(),
            Some("contains ' '; use letters, digits, '_', '-', '.' or ':'")
        );
        assert!(
            name_problem(&"x".repeat(NAME_MAX_BYTES + 1))
                .is_some_and(|m| m.contains("limit is 128"))
        );
    }

    #[test]
    fn names_compare_with_strings() {
        assert_eq!(StateName::new("created"), "created");
        assert!(RoleName::system().is_system());
    }
}

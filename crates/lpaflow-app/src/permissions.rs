//! Which roles may create LPAs and fire which events, from the role lists of every loaded version of the LPA
//! workflow. The adapters ask before they read a request's preconditions, so a role that may not act learns
//! nothing of revisions or data; the interpreter checks again on every command and stays the authority.

use crate::caller::{Caller, Forbidden, Role};
use crate::service::LpaService;
use lpaflow_core::{EventName, RoleName, WorkflowDef};

impl LpaService {
    /// The roles that may create an LPA (any loaded version).
    pub fn creator_roles(&self) -> Vec<Role> {
        self.workflow_roles(|def| def.create().roles.clone())
    }

    /// The roles that may fire at least one event (any loaded version).
    pub fn event_firer_roles(&self) -> Vec<Role> {
        self.workflow_roles(|def| {
            def.transitions()
                .iter()
                .flat_map(|t| t.roles.iter().cloned())
                .collect()
        })
    }

    /// Refuses `event` when no transition of it, in any loaded version of the LPA workflow, allows the
    /// caller's role. An event no version knows passes: the engine answers `unknown_event`.
    pub fn authorize_event(&self, caller: &Caller, event: &str) -> Result<(), Forbidden> {
        let event = EventName::new(event);
        if !self.lpa_versions().any(|d| d.knows_event(&event)) {
            return Ok(());
        }
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| {
                let name = RoleName::new(<&str>::from(*r));
                self.lpa_versions()
                    .any(|d| d.transitions_for(&event).any(|t| t.allows(&name)))
            })
            .collect();
        caller.require(&allowed, &format!("fire {event}"))
    }

    /// The roles named by `roles_of` in any loaded version (`system` is nobody's role).
    fn workflow_roles(&self, roles_of: impl Fn(&WorkflowDef) -> Vec<RoleName>) -> Vec<Role> {
        let names: Vec<RoleName> = self.lpa_versions().flat_map(roles_of).collect();
        Role::ALL
            .into_iter()
            .filter(|r| names.iter().any(|n| n.as_str() == <&str>::from(*r)))
            .collect()
    }

    fn lpa_versions(&self) -> impl Iterator<Item = &WorkflowDef> {
        let name = self.settings.lpa_workflow.as_str();
        self.engine
            .definitions()
            .all()
            .filter(move |d| d.name() == name)
            .map(|d| d.as_ref())
    }
}

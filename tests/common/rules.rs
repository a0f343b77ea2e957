//! Test rules for structural interpreter tests: every LPA name is known, guards pass unless listed as failing,
//! actions merge the payload into the data. The real LPA rules are tested in `lpaflow-lpa`.

use lpaflow_core::{
    ActionError, ActionName, ActionOutcome, Catalog, Context, GuardName, Rules, Unmet,
};
use std::collections::BTreeSet;

pub struct ScriptedRules {
    pub failing: BTreeSet<String>,
}

impl ScriptedRules {
    /// Guards that would loop or end an LPA at once if they passed by default fail by default.
    pub fn new() -> Self {
        Self::failing(&["has_blocking_findings", "no_active_attorneys"])
    }

    pub fn failing(guards: &[&str]) -> Self {
        Self {
            failing: guards.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Rules for ScriptedRules {
    fn catalog(&self) -> Catalog {
        lpaflow_lpa::catalog()
    }

    fn check_guard(&self, guard: &GuardName, _ctx: &Context<'_>) -> Vec<Unmet> {
        if self.failing.contains(guard.as_str()) {
            vec![Unmet::new(
                format!("{guard}_unmet"),
                format!("{guard} does not hold"),
            )]
        } else {
            Vec::new()
        }
    }

    fn apply_action(
        &self,
        _action: &ActionName,
        ctx: &Context<'_>,
    ) -> Result<ActionOutcome, ActionError> {
        let mut data = ctx.instance.data.clone();
        data.merge_patch(ctx.payload);
        Ok(ActionOutcome {
            data,
            ..ActionOutcome::default()
        })
    }
}

pub fn lpa_definition() -> lpaflow_core::WorkflowDef {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/workflows/lpa.toml"))
        .unwrap();
    lpaflow_spec::load("workflows/lpa.toml", &text, &lpaflow_lpa::catalog()).unwrap()
}

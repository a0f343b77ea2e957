//! Every name the LPA rules implement: roles, guards, actions and OPG steps. `workflows/lpa.toml` may name
//! these and nothing else; a definition naming anything else is refused when it is loaded.

use lpaflow_core::Catalog;

/// Roles of people and services (besides the engine's own `system`).
pub const ROLES: &[&str] = &["service", "caseworker", "auditor", "admin"];

/// Guards implemented by [`crate::LpaRules`].
pub const GUARDS: &[&str] = &[
    "no_blocking_findings",
    "has_blocking_findings",
    "donor_not_signed",
    "fee_settled",
    "all_signatures_present",
    "waiting_period_elapsed",
    "no_open_objections",
    "registration_not_requested",
    "registration_not_pending",
    "no_active_attorneys",
];

/// Actions implemented by [`crate::LpaRules`].
pub const ACTIONS: &[&str] = &[
    "lpa.create",
    "lpa.submit",
    "lpa.update_application",
    "lpa.confirm_not_related",
    "lpa.accept_finding",
    "lpa.resolve_finding",
    "lpa.reject_finding",
    "lpa.provide_fee_evidence",
    "lpa.decide_fee",
    "lpa.record_payment",
    "lpa.confirm_donor_identity",
    "lpa.confirm_certificate_provider_identity",
    "lpa.sign_as_donor",
    "lpa.sign_as_certificate_provider",
    "lpa.sign_as_attorney",
    "lpa.sign_as_trust_corporation",
    "lpa.certificate_provider_opt_out",
    "lpa.attorney_opt_out",
    "lpa.trust_corporation_opt_out",
    "lpa.enter_waiting_period",
    "lpa.waiting_period_elapsed",
    "lpa.raise_objection",
    "lpa.dismiss_objection",
    "lpa.uphold_objection",
    "lpa.request_registration",
    "lpa.registration_confirmed",
    "lpa.change_status",
    "lpa.deadline_passed",
    "lpa.record_sync_problem",
    "lpa.assign_case",
    "lpa.release_case",
];

/// The OPG update types lpaflow sends (`POST /lpas/{uid}/updates`), each one of the LPA Store's own
/// (`crate::steps::SENT_UPDATE_TYPES`; the mapping is in `docs/opg-api.md`).
pub const OPG_UPDATE_TYPES: &[&str] = &[
    "CERTIFICATE_PROVIDER_SIGN",
    "ATTORNEY_SIGN",
    "TRUST_CORPORATION_SIGN",
    "DONOR_CONFIRM_IDENTITY",
    "CERTIFICATE_PROVIDER_CONFIRM_IDENTITY",
    "CERTIFICATE_PROVIDER_OPT_OUT",
    "ATTORNEY_OPT_OUT",
    "TRUST_CORPORATION_OPT_OUT",
    "CHANGE_ATTORNEYS",
    "DONOR_WITHDRAW_LPA",
    "STATUTORY_WAITING_PERIOD",
    "REGISTER",
    "OPG_STATUS_CHANGE",
];

/// Steps that version 1 of `workflows/lpa.toml` named and the LPA Store never accepted (`DONOR_SIGN` and
/// `FEE_DECISION` are not store update types; `CORRECTION` was sent before the donor signed, when the store
/// does not hold the LPA). They stay in the catalog so that instances pinned to version 1 still load; their
/// payload is always declined, so nothing is sent.
pub const RETIRED_STEPS: &[&str] = &[
    "opg.update:DONOR_SIGN",
    "opg.update:FEE_DECISION",
    "opg.update:CORRECTION",
];

/// The step that creates the LPA in OPG.
pub const OPG_CREATE_STEP: &str = "opg.create";

/// The prefix of every OPG update step (`opg.update:<TYPE>`).
pub const OPG_UPDATE_PREFIX: &str = "opg.update:";

/// Every step name: `opg.create`, `opg.update:<TYPE>` for each type sent, and the retired ones.
pub fn step_names() -> Vec<String> {
    std::iter::once(OPG_CREATE_STEP.to_owned())
        .chain(
            OPG_UPDATE_TYPES
                .iter()
                .map(|t| format!("{OPG_UPDATE_PREFIX}{t}")),
        )
        .chain(RETIRED_STEPS.iter().map(|s| (*s).to_owned()))
        .collect()
}

/// The catalog `workflows/lpa.toml` is validated against.
pub fn catalog() -> Catalog {
    let steps = step_names();
    let step_refs: Vec<&str> = steps.iter().map(String::as_str).collect();
    Catalog::new(ROLES, GUARDS, ACTIONS, &step_refs)
}

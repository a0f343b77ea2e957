//! The payload each action reads, as data: one [`Field`] per key, with its kind, whether it is required, and a
//! plain-words label. The console builds its event forms from this instead of hard-coding them, so a form asks
//! for exactly what the action accepts. The actions themselves stay the authority: they validate every payload
//! again and refuse what is wrong (`tests/payload_fields.rs` drives whole LPAs with payloads built only from
//! these fields, and checks that leaving out each required field is refused).

use crate::SyncProblemKind;
use crate::actions::Action;
use crate::application::{FeeType, Lang};
use crate::data::IdentityMethod;
use crate::deadlines::DeadlineName;
use crate::fees::{EvidenceKind, FeeOutcome, PAYMENT_MAX_PENCE};
use crate::fields::{LONG_TEXT_MAX_CHARS, SHORT_TEXT_MAX_CHARS};
use serde::Serialize;
use strum::VariantNames;

/// What kind of value a payload key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum FieldKind {
    /// One line of text, at most `max_chars` characters.
    Text {
        /// The longest accepted text.
        max_chars: usize,
    },
    /// Free text, at most `max_chars` characters.
    LongText {
        /// The longest accepted text.
        max_chars: usize,
    },
    /// One of a fixed list of values.
    Choice {
        /// The accepted values, as sent.
        options: &'static [&'static str],
    },
    /// An RFC 3339 time that must not be in the future.
    PastTime,
    /// `true` or `false`.
    Bool,
    /// Whole pence between `min` and `max` (a negative payment is a refund paid out).
    Pence {
        /// The smallest amount.
        min: i64,
        /// The largest amount.
        max: i64,
    },
    /// The id of one of the LPA's findings (`F1`, ...).
    FindingId,
    /// The id of one of the LPA's objections (`O1`, ...).
    ObjectionId,
    /// The uid of one of the LPA's attorneys.
    AttorneyUid,
    /// The uid of one of the LPA's trust corporations.
    TrustCorporationUid,
    /// A JSON list of one or two people signing for a trust corporation
    /// (`[{firstNames, lastName, professionalTitle, signedAt?}]`).
    Signatories,
    /// The whole payload is application JSON (the field's `name` is empty): the application itself for
    /// `lpa.create`, a JSON merge patch of it for `lpa.update_application`.
    Application,
}

/// One key of a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// The payload key (empty for [`FieldKind::Application`]).
    pub name: &'static str,
    /// What it holds.
    #[serde(flatten)]
    pub kind: FieldKind,
    /// Whether the action refuses a payload without it.
    pub required: bool,
    /// A label in plain words.
    pub label: &'static str,
    /// What to enter, when the label is not enough.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub hint: &'static str,
}

const fn field(name: &'static str, kind: FieldKind, required: bool, label: &'static str) -> Field {
    Field {
        name,
        kind,
        required,
        label,
        hint: "",
    }
}

const TEXT: FieldKind = FieldKind::Text {
    max_chars: SHORT_TEXT_MAX_CHARS,
};
const LONG_TEXT: FieldKind = FieldKind::LongText {
    max_chars: LONG_TEXT_MAX_CHARS,
};

impl Field {
    const fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }
}

fn reason(required: bool) -> Field {
    field("reason", LONG_TEXT, required, "Reason")
}

fn finding_choice() -> Vec<Field> {
    vec![
        field("finding", FieldKind::FindingId, true, "Finding"),
        reason(true).hint("Say why: it is recorded in the LPA's history."),
    ]
}

fn identity() -> Vec<Field> {
    vec![
        field(
            "type",
            FieldKind::Choice {
                options: IdentityMethod::VARIANTS,
            },
            true,
            "How the identity was checked",
        ),
        field(
            "checkedAt",
            FieldKind::PastTime,
            true,
            "When it was checked",
        ),
    ]
}

fn signed_at() -> Field {
    field("signedAt", FieldKind::PastTime, false, "When they signed").hint("Leave empty for now.")
}

fn contact_language() -> Field {
    field(
        "contactLanguagePreference",
        FieldKind::Choice {
            options: Lang::KNOWN,
        },
        false,
        "Language to write to them in",
    )
}

/// The payload `action` reads when it runs for `event` (the event matters for `lpa.change_status`: a
/// withdrawal needs no reason, a caseworker's status change does). Empty when the action reads no payload.
pub fn payload_fields(action: Action, event: &str) -> Vec<Field> {
    use FieldKind::{AttorneyUid, Bool, Choice, ObjectionId, PastTime, Pence};
    match action {
        Action::Create => vec![
            field("", FieldKind::Application, true, "The application")
                .hint("JSON in the shape of docs/lpa-data.md."),
        ],
        Action::UpdateApplication => vec![
            field(
                "",
                FieldKind::Application,
                true,
                "Changes to the application",
            )
            .hint("A JSON merge patch, e.g. {\"donor\": {\"email\": \"new@example.org\"}}."),
        ],
        Action::Submit
        | Action::ConfirmNotRelated
        | Action::EnterWaitingPeriod
        | Action::WaitingPeriodElapsed
        | Action::RequestRegistration
        | Action::RegistrationConfirmed
        | Action::ReleaseCase => Vec::new(),
        Action::AssignCase => vec![
            field("to", TEXT, false, "Give it to")
                .hint("A colleague's caseworker id; leave empty to take the case yourself."),
        ],
        Action::AcceptFinding | Action::ResolveFinding | Action::RejectFinding => finding_choice(),
        Action::ProvideFeeEvidence => vec![
            field(
                "kind",
                Choice {
                    options: EvidenceKind::VARIANTS,
                },
                true,
                "Kind of evidence",
            ),
            field("reference", TEXT, true, "Document reference"),
            field("receivedAt", PastTime, false, "When the OPG received it")
                .hint("Leave empty if it arrives now."),
        ],
        Action::DecideFee => vec![
            field(
                "outcome",
                Choice {
                    options: FeeOutcome::VARIANTS,
                },
                true,
                "Decision",
            ),
            field(
                "approvedType",
                Choice {
                    options: FeeType::VARIANTS,
                },
                false,
                "Approved fee type",
            )
            .hint("Only when the reduction is approved; it may differ from the one claimed."),
            reason(false),
        ],
        Action::RecordPayment => vec![
            field(
                "amountPence",
                Pence {
                    min: -PAYMENT_MAX_PENCE,
                    max: PAYMENT_MAX_PENCE,
                },
                true,
                "Amount",
            )
            .hint("A negative amount records a refund paid out."),
            field("reference", TEXT, false, "Payment reference"),
            field("paidAt", PastTime, false, "When it was paid").hint("Leave empty for now."),
            field("receivedAt", PastTime, false, "When the OPG received it")
                .hint("For a cheque sent with a paper application."),
        ],
        Action::ConfirmDonorIdentity | Action::ConfirmCertificateProviderIdentity => identity(),
        Action::SignAsDonor => vec![
            signed_at(),
            field(
                "witnessedByCertificateProviderAt",
                PastTime,
                false,
                "When the certificate provider witnessed it",
            )
            .hint("Leave empty if they witnessed it as the donor signed."),
        ],
        Action::SignAsCertificateProvider => vec![signed_at(), contact_language()],
        Action::SignAsAttorney => vec![
            field("uid", AttorneyUid, true, "Attorney"),
            field(
                "confirmedNotBankrupt",
                Bool,
                true,
                "The attorney confirms they are not bankrupt or subject to a debt relief order",
            ),
            signed_at(),
            field("mobile", TEXT, false, "Mobile number"),
            contact_language(),
        ],
        Action::SignAsTrustCorporation => vec![
            field(
                "uid",
                FieldKind::TrustCorporationUid,
                true,
                "Trust corporation",
            ),
            field(
                "signatories",
                FieldKind::Signatories,
                true,
                "Who signs for it",
            )
            .hint("One or two people: [{\"firstNames\", \"lastName\", \"professionalTitle\"}]."),
            field("companyNumber", TEXT, false, "Company number")
                .hint("Leave empty to use the application's."),
            field("mobile", TEXT, false, "Mobile number")
                .hint("Leave empty to use the application's."),
            contact_language(),
        ],
        Action::TrustCorporationOptOut => vec![field(
            "uid",
            FieldKind::TrustCorporationUid,
            true,
            "Trust corporation",
        )],
        Action::CertificateProviderOptOut => vec![reason(false)],
        Action::AttorneyOptOut => vec![field("uid", AttorneyUid, true, "Attorney")],
        Action::RaiseObjection => vec![field("detail", LONG_TEXT, true, "The objection")],
        Action::DismissObjection | Action::UpholdObjection => vec![
            field("objection", ObjectionId, true, "Objection"),
            reason(true),
        ],
        Action::ChangeStatus => vec![reason(event != "withdraw")],
        Action::DeadlinePassed => vec![field(
            "deadline",
            Choice {
                options: DeadlineName::VARIANTS,
            },
            true,
            "Deadline",
        )],
        Action::RecordSyncProblem => vec![
            field("step", TEXT, true, "Step"),
            field(
                "kind",
                Choice {
                    options: SyncProblemKind::VARIANTS,
                },
                true,
                "Kind of problem",
            ),
            field("detail", LONG_TEXT, true, "Detail"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_action_has_distinct_keys_and_a_label_for_each() {
        for action in Action::iter() {
            for event in ["withdraw", "change_status:expired"] {
                let fields = payload_fields(action, event);
                let mut names: Vec<&str> = fields.iter().map(|f| f.name).collect();
                names.sort_unstable();
                names.dedup();
                assert_eq!(names.len(), fields.len(), "{action:?}: duplicate keys");
                assert!(fields.iter().all(|f| !f.label.is_empty()), "{action:?}");
                let patch = fields.iter().any(|f| f.kind == FieldKind::Application);
                assert!(
                    !patch || fields.len() == 1,
                    "{action:?}: application JSON is the whole payload"
                );
            }
        }
    }

    #[test]
    fn a_withdrawal_needs_no_reason_but_a_caseworker_status_change_does() {
        let required = |event| payload_fields(Action::ChangeStatus, event)[0].required;
        assert!(!required("withdraw"));
        assert!(required("change_status:cannot_register"));
    }
}

//! Schemas the handlers' types cannot give by derivation: the create body (the application, read as JSON and
//! checked field by field in `lpaflow-lpa`, so it has no Rust type of its own to derive from), the uid
//! pattern built from the uid alphabet (`uid.rs`), and the `Idempotency-Key` format (`idempotency.rs`).
//! Permissive where the server's own checks are richer than a schema can say (cross-field rules), typed and
//! enumerated where a single field's value is all the server checks.

use crate::uid::ALPHABET;
use lpaflow_app::schema::text_enum;
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::AdditionalProperties};
use utoipa::{PartialSchema, ToSchema};

/// `^M-XXXX-XXXX-XXXX$` over [`ALPHABET`], as `uid::parse` and `lpaflow_lpa` check it.
pub fn uid_pattern() -> String {
    let alphabet = String::from_utf8_lossy(ALPHABET);
    format!("^M-[{alphabet}]{{4}}-[{alphabet}]{{4}}-[{alphabet}]{{4}}$")
}

/// An LPA uid.
pub fn uid() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(uid_pattern()))
        .description(Some("An LPA uid, M-XXXX-XXXX-XXXX"))
        .examples(["M-QWER-TY34-6789"])
        .build()
}

/// 1 to 255 visible ASCII characters (`idempotency::valid_key`).
pub fn idempotency_key() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(255))
        .pattern(Some("^[!-~]+$"))
        .build()
}

/// An integer of at least `minimum`.
pub fn integer(minimum: i64) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(minimum))
        .build()
}

fn object(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .build()
}

fn objects(description: &str, max_items: usize) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(object(description))
        .max_items(Some(max_items))
        .into()
}

pub use lpaflow_app::schema::{step_status, sync_status};

/// The `label` filter of the queues.
pub fn queue_label() -> Object {
    text_enum(crate::routes::queues::LABELS, "A label")
}

/// The `sort` of the queues: a sort's name, reversed with a leading `-`.
pub fn queue_sort() -> Object {
    let names: Vec<String> = crate::routes::queues::SORTS
        .iter()
        .flat_map(|(n, _)| [(*n).to_owned(), format!("-{n}")])
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    text_enum(
        &names,
        "`created` (default), `updated`, `reference` or `donor`; `-` in front reverses it",
    )
}

/// The `finding` filter of the queues.
pub fn queue_finding() -> Object {
    text_enum(
        &["open", "blocking"],
        "`open` (any open finding) or `blocking`",
    )
}

/// The `format` of a workflow graph.
pub fn graph_format() -> Object {
    text_enum(&["mermaid", "dot"], "`mermaid` (default) or `dot`")
}

/// The body of `POST /v1/lpas`: an LPA application (`docs/lpa-data.md`, "The application"), one of two shapes
/// told apart by `channel`. Online: the top-level fields as the LPA Store types them and no other key,
/// since any problem refuses the whole application. Paper: anything goes past `channel`, since a paper
/// application is accepted as it was received and each problem becomes a finding a caseworker resolves.
pub struct Application;

impl PartialSchema for Application {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "An LPA application in the LPA Store's shape (docs/lpa-data.md). Online: the server \
                 checks every field (the people's objects in detail, beyond this schema) and the rules \
                 between them and answers 422 with a pointer per problem. Paper (`channel: paper`): accepted as received, each problem recorded as a \
                 blocking `application.invalid` finding. `uid` is generated when absent.",
            ))
            .item(online_application())
            .item(paper_application())
            .into()
    }
}

fn online_application() -> Object {
    let decisions = &[
        "jointly",
        "jointly-and-severally",
        "jointly-for-some-severally-for-others",
    ];
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some("Online application"))
        .property("uid", uid())
        .property(
            "lpaType",
            text_enum(
                &["property-and-affairs", "personal-welfare"],
                "The kind of LPA",
            ),
        )
        .property(
            "channel",
            text_enum(&["online"], "Made online (the default)"),
        )
        .property("language", text_enum(&["en", "cy"], "The LPA's language"))
        .property("donor", object("The donor: names, date of birth, address"))
        .property("attorneys", objects("An attorney", 20))
        .property("trustCorporations", objects("A trust corporation", 2))
        .property("certificateProvider", object("The certificate provider"))
        .property("peopleToNotify", objects("A person to notify", 5))
        .property(
            "howAttorneysMakeDecisions",
            text_enum(decisions, "With more than one original attorney"),
        )
        .property(
            "howReplacementAttorneysMakeDecisions",
            text_enum(
                decisions,
                "With more than one replacement stepping in together",
            ),
        )
        .property(
            "howReplacementAttorneysStepIn",
            text_enum(
                &[
                    "all-can-no-longer-act",
                    "one-can-no-longer-act",
                    "another-way",
                ],
                "When replacements step in",
            ),
        )
        .property(
            "whenTheLpaCanBeUsed",
            text_enum(
                &["when-has-capacity", "when-capacity-lost"],
                "Property and affairs only",
            ),
        )
        .property(
            "lifeSustainingTreatmentOption",
            text_enum(&["option-a", "option-b"], "Personal welfare only"),
        )
        .property(
            "fee",
            object("The fee claimed: `claimedType` and its evidence"),
        )
        .property(
            "receivedAt",
            text("When OPG received it (the fee date): an RFC 3339 time or a date"),
        )
        .property(
            "howAttorneysMakeDecisionsDetails",
            text("With `jointly-for-some-severally-for-others`"),
        )
        .property(
            "howReplacementAttorneysMakeDecisionsDetails",
            text("Likewise, for replacements"),
        )
        .property(
            "howReplacementAttorneysStepInDetails",
            text("With `another-way`"),
        )
        .property("restrictionsAndConditions", text("Free text"))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .required("channel")
        .required("lpaType")
        .required("language")
        .required("donor")
        .required("attorneys")
        .required("certificateProvider")
        .build()
}

fn text(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .build()
}

fn paper_application() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some("Paper application"))
        .property("uid", uid())
        .property("channel", text_enum(&["paper"], "Made on paper"))
        .required("channel")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .build()
}

impl ToSchema for Application {}

/// What `lpaflow_core::duration::parse_duration` reads, without the spaces it trims (the route refuses them).
pub const DURATION_PATTERN: &str = "^([0-9]+[smhdw])+$";

/// The body of `POST /v1/dev/clock`.
pub struct ClockRequest;

impl PartialSchema for ClockRequest {
    fn schema() -> RefOr<Schema> {
        let advance = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A duration: numbers each with a unit, s, m, h, d or w, e.g. `28d` or `1w2d`; more \
                 than zero and at most 100 years (422 otherwise)",
            ))
            .pattern(Some(DURATION_PATTERN))
            .examples(["28d"]);
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("advance", advance)
            .required("advance")
            .into()
    }
}

impl ToSchema for ClockRequest {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uid_pattern_names_every_letter_of_the_alphabet_once_per_group() {
        let pattern = uid_pattern();
        let alphabet = std::str::from_utf8(ALPHABET).expect("ASCII");
        assert_eq!(pattern.matches(alphabet).count(), 3, "{pattern}");
        assert!(pattern.starts_with("^M-[") && pattern.ends_with("]{4}$"));
    }
}

//! The request bodies the store decodes, described as their Go structs (`internal/shared/lpa.go`,
//! `person.go`, `image.go`, `update.go`, `lambda/getlist/main.go`) and decoded with Go's rules
//! ([`super::go_json`]).

use lpaflow_lpa::lpa_store::LpaInit;
use serde_json::Value;

use super::go_json::{DecodeError, Field, Json, Kind, decode};

const fn text(name: &'static str) -> Field {
    Field {
        name,
        kind: Kind::Text,
    }
}

const fn of(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

const ADDRESS: &[Field] = &[
    text("line1"),
    text("line2"),
    text("line3"),
    text("town"),
    text("postcode"),
    text("country"),
];

const IDENTITY_CHECK: &[Field] = &[of("checkedAt", Kind::Time), text("type")];

const DONOR: &[Field] = &[
    text("uid"),
    text("firstNames"),
    text("lastName"),
    of("address", Kind::Struct(ADDRESS)),
    of("dateOfBirth", Kind::Date),
    text("email"),
    text("otherNamesKnownBy"),
    text("contactLanguagePreference"),
    of("identityCheck", Kind::StructPointer(IDENTITY_CHECK)),
];

const CERTIFICATE_PROVIDER: &[Field] = &[
    text("uid"),
    text("firstNames"),
    text("lastName"),
    of("address", Kind::Struct(ADDRESS)),
    text("email"),
    text("phone"),
    text("channel"),
    of("signedAt", Kind::TimePointer),
    text("contactLanguagePreference"),
    of("identityCheck", Kind::StructPointer(IDENTITY_CHECK)),
];

const ATTORNEY: &[Field] = &[
    text("uid"),
    text("firstNames"),
    text("lastName"),
    of("address", Kind::Struct(ADDRESS)),
    of("dateOfBirth", Kind::Date),
    text("email"),
    text("status"),
    text("appointmentType"),
    text("mobile"),
    of("signedAt", Kind::TimePointer),
    text("contactLanguagePreference"),
    text("channel"),
    of("cannotMakeJointDecisions", Kind::Flag),
];

const SIGNATORY: &[Field] = &[
    text("firstNames"),
    text("lastName"),
    text("professionalTitle"),
    of("signedAt", Kind::Time),
];

const TRUST_CORPORATION: &[Field] = &[
    text("uid"),
    text("name"),
    text("companyNumber"),
    text("email"),
    text("appointmentType"),
    of("address", Kind::Struct(ADDRESS)),
    text("status"),
    text("mobile"),
    of("signatories", Kind::List(&Kind::Struct(SIGNATORY))),
    text("contactLanguagePreference"),
    text("channel"),
];

const PERSON_TO_NOTIFY: &[Field] = &[
    text("uid"),
    text("firstNames"),
    text("lastName"),
    of("address", Kind::Struct(ADDRESS)),
];

const INDEPENDENT_WITNESS: &[Field] = &[
    text("uid"),
    text("firstNames"),
    text("lastName"),
    text("phone"),
    of("address", Kind::Struct(ADDRESS)),
];

const AUTHORISED_SIGNATORY: &[Field] = &[text("uid"), text("firstNames"), text("lastName")];

const FILE_UPLOAD: &[Field] = &[text("filename"), text("data")];

/// Go's `shared.LpaInit`.
const LPA_INIT: &[Field] = &[
    text("lpaType"),
    text("channel"),
    text("language"),
    of("donor", Kind::Struct(DONOR)),
    of("attorneys", Kind::List(&Kind::Struct(ATTORNEY))),
    of(
        "trustCorporations",
        Kind::List(&Kind::Struct(TRUST_CORPORATION)),
    ),
    of("certificateProvider", Kind::Struct(CERTIFICATE_PROVIDER)),
    of(
        "peopleToNotify",
        Kind::List(&Kind::Struct(PERSON_TO_NOTIFY)),
    ),
    of(
        "independentWitness",
        Kind::StructPointer(INDEPENDENT_WITNESS),
    ),
    of(
        "authorisedSignatory",
        Kind::StructPointer(AUTHORISED_SIGNATORY),
    ),
    text("howAttorneysMakeDecisions"),
    text("howAttorneysMakeDecisionsDetails"),
    of(
        "howAttorneysMakeDecisionsDetailsImages",
        Kind::List(&Kind::Struct(FILE_UPLOAD)),
    ),
    of("howAttorneysMakeDecisionsIsDefault", Kind::Flag),
    text("howReplacementAttorneysMakeDecisions"),
    text("howReplacementAttorneysMakeDecisionsDetails"),
    of("howReplacementAttorneysMakeDecisionsIsDefault", Kind::Flag),
    text("howReplacementAttorneysStepIn"),
    text("howReplacementAttorneysStepInDetails"),
    text("whenTheLpaCanBeUsed"),
    of("whenTheLpaCanBeUsedIsDefault", Kind::Flag),
    text("lifeSustainingTreatmentOption"),
    of("lifeSustainingTreatmentOptionIsDefault", Kind::Flag),
    text("restrictionsAndConditions"),
    of(
        "restrictionsAndConditionsImages",
        Kind::List(&Kind::Struct(FILE_UPLOAD)),
    ),
    of("signedAt", Kind::Time),
    of("witnessedByCertificateProviderAt", Kind::Time),
    of("witnessedByIndependentWitnessAt", Kind::TimePointer),
    of(
        "certificateProviderNotRelatedConfirmedAt",
        Kind::TimePointer,
    ),
];

const CHANGE: &[Field] = &[text("key"), of("old", Kind::Raw), of("new", Kind::Raw)];

/// Go's `shared.Update` (`id`, `uid`, `applied` and `author` are decoded and then overwritten).
const UPDATE: &[Field] = &[
    text("id"),
    text("uid"),
    text("applied"),
    text("author"),
    text("type"),
    of("changes", Kind::List(&Kind::Struct(CHANGE))),
];

/// `lambda/getlist/main.go`'s `lpasRequest`.
const GET_LIST: &[Field] = &[of("uids", Kind::List(&Kind::Text))];

/// Why a body could not be decoded: the handler answers 500 (`INTERNAL_SERVER_ERROR`).
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error(transparent)]
    Go(#[from] DecodeError),
    #[error("decoded body does not fit the wire type: {0}")]
    Shape(#[from] serde_json::Error),
}

impl BodyError {
    /// What went wrong, without the body's values (logs never carry personal data).
    pub fn kind(&self) -> &'static str {
        match self {
            BodyError::Go(DecodeError::Syntax(_)) => "not JSON",
            BodyError::Go(DecodeError::Type { .. }) => "a value of the wrong JSON type",
            BodyError::Go(DecodeError::Time) => "a time that is not RFC 3339",
            BodyError::Shape(_) => "a value the wire type cannot hold",
        }
    }
}

fn decode_struct(fields: &'static [Field], body: &[u8]) -> Result<Value, DecodeError> {
    let json = Json::parse(body)?;
    Ok(decode(Kind::Struct(fields), &json, None)?
        .unwrap_or_else(|| Value::Object(serde_json::Map::new())))
}

/// `PUT /lpas/{uid}`'s body, as `json.Unmarshal` into `shared.LpaInit` leaves it.
pub fn decode_create(body: &[u8]) -> Result<LpaInit, BodyError> {
    Ok(serde_json::from_value(decode_struct(LPA_INIT, body)?)?)
}

/// One change as sent. `old` and `new` are `None` when absent (Go's empty `json.RawMessage`), which is not
/// the same as `null`.
#[derive(Debug, Clone, PartialEq)]
pub struct SentChange {
    pub key: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// `POST /lpas/{uid}/updates`'s body: the type as sent (any text) and the changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateRequest {
    pub kind: String,
    pub changes: Vec<SentChange>,
}

fn raw(change: &Value, name: &str) -> Option<Value> {
    change.get(name).map(|wrapper| wrapper["raw"].clone())
}

/// `POST /lpas/{uid}/updates`'s body, as `json.Unmarshal` into `shared.Update` leaves it.
pub fn decode_update(body: &[u8]) -> Result<UpdateRequest, BodyError> {
    let value = decode_struct(UPDATE, body)?;
    let text_of = |v: &Value, name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let changes = value
        .get("changes")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| SentChange {
                    key: text_of(c, "key"),
                    old: raw(c, "old"),
                    new: raw(c, "new"),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(UpdateRequest {
        kind: text_of(&value, "type"),
        changes,
    })
}

/// Whether a `POST /lpas` body is the store's batch read: a JSON object with a key Go would read as
/// `uids`. Anything else is the workload stub protocol.
pub fn is_get_list(body: &[u8]) -> bool {
    matches!(Json::parse(body), Ok(Json::Object(members)) if members.iter().any(|(k, _)| field_is_uids(k)))
}

fn field_is_uids(key: &str) -> bool {
    key.chars()
        .map(|c| if c == '\u{017F}' { 's' } else { c })
        .collect::<String>()
        .eq_ignore_ascii_case("uids")
}

/// `POST /lpas`'s `uids` (`None` when null or absent: Go's nil slice).
pub fn decode_get_list(body: &[u8]) -> Result<Option<Vec<String>>, BodyError> {
    let value = decode_struct(GET_LIST, body)?;
    Ok(match value.get("uids") {
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect(),
        ),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lpaflow_lpa::lpa_store::Channel;
    use serde_json::json;

    #[test]
    fn the_default_request_example_keeps_its_misspelt_company_number() {
        // example-lpa-default-request.json -> example-lpa-default-response.json
        let body = br#"{"channel": "paper", "trustCorporations": [{"companyNUmber": "ABCD1234"}],
                        "donor": {"dateOfBirth": null}, "unknown": {"deep": [1]}}"#;
        let init = decode_create(body).expect("decodes");
        assert_eq!(init.fields.channel, Channel::Paper);
        assert_eq!(init.fields.trust_corporations[0].company_number, "ABCD1234");
        assert!(init.fields.donor.date_of_birth.is_malformed());
    }

    #[test]
    fn a_create_body_that_go_cannot_decode_is_an_error() {
        for body in [
            &b"not json"[..],
            br#"{"attorneys": {}}"#,
            br#"{"signedAt": "yesterday"}"#,
            br#"{"donor": {"firstNames": 1}}"#,
            br#"[]"#,
        ] {
            assert!(
                decode_create(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            decode_create(b"null").expect("zero").fields.channel,
            Channel::Unset
        );
    }

    #[test]
    fn update_changes_keep_absent_apart_from_null() {
        let u = decode_update(
            br#"{"TYPE": "REGISTER", "changes": [{"Key": "/a", "old": null}, null]}"#,
        )
        .expect("decodes");
        assert_eq!(u.kind, "REGISTER");
        assert_eq!(
            u.changes,
            vec![
                SentChange {
                    key: "/a".into(),
                    old: Some(Value::Null),
                    new: None
                },
                SentChange {
                    key: String::new(),
                    old: None,
                    new: None
                }
            ]
        );
        assert!(decode_update(br#"{"type": 1}"#).is_err());
        assert!(decode_update(br#"{"changes": {}}"#).is_err());
        assert_eq!(
            decode_update(br#"{"changes": [{"key": "/a", "new": {"x": [1]}}]}"#)
                .expect("decodes")
                .changes[0]
                .new,
            Some(json!({"x": [1]}))
        );
    }

    #[test]
    fn get_list_bodies() {
        assert!(is_get_list(br#"{"UIDs": []}"#));
        assert!(!is_get_list(br#"{"lpa_id": "x"}"#));
        assert_eq!(
            decode_get_list(br#"{"uids": ["a", null]}"#).expect("decodes"),
            Some(vec!["a".to_owned(), String::new()])
        );
        assert_eq!(
            decode_get_list(br#"{"uids": null}"#).expect("decodes"),
            None
        );
        assert!(decode_get_list(br#"{"uids": [1]}"#).is_err());
    }
}

//! How caseworkers find an LPA (`Rules::findable`): by its reference, whole or in part, and by the names,
//! postcodes and dates of birth of the people in it; lists sort it by the donor's name. Read from the
//! application as stored, leniently (a paper application may lack any of it). Everything but the reference
//! is personal data: the store keeps it marked so, and only callers allowed to see personal data search by
//! it.

use lpaflow_core::search::{Findable, SearchTerm, date_term, normalize, suffixes};
use lpaflow_core::{Instance, InstanceId};
use serde_json::Value;

/// The shortest part of a reference that finds it (shorter parts would match most LPAs).
const MIN_REFERENCE_PART: usize = 4;

/// The title and search terms of `instance`.
pub fn findable(instance: &Instance) -> Findable {
    let app = instance.data.get("application").unwrap_or(&Value::Null);
    let mut terms = reference_terms(&instance.id);
    let donor = app.get("donor").unwrap_or(&Value::Null);
    person_terms(donor, &mut terms);
    name_terms(text(donor, "otherNamesKnownBy"), &mut terms);
    for attorney in list(app, "attorneys") {
        person_terms(attorney, &mut terms);
    }
    for corporation in list(app, "trustCorporations") {
        name_terms(text(corporation, "name"), &mut terms);
        postcode_terms(corporation, &mut terms);
    }
    person_terms(
        app.get("certificateProvider").unwrap_or(&Value::Null),
        &mut terms,
    );
    Findable::new(title(donor), terms)
}

/// The longest title kept (an index entry stays small whatever a paper application holds).
const MAX_TITLE_CHARS: usize = 200;

/// "Last name, first names", as a caseworker's list sorts people; cut to [`MAX_TITLE_CHARS`].
fn title(donor: &Value) -> Option<String> {
    full_title(donor).map(|t| t.chars().take(MAX_TITLE_CHARS).collect())
}

fn full_title(donor: &Value) -> Option<String> {
    let first = text(donor, "firstNames").trim();
    let last = text(donor, "lastName").trim();
    match (first.is_empty(), last.is_empty()) {
        (true, true) => None,
        (true, false) => Some(last.to_owned()),
        (false, true) => Some(first.to_owned()),
        (false, false) => Some(format!("{last}, {first}")),
    }
}

/// The reference without its dashes, and every tail of it from four characters: a prefix search then finds
/// `M-ABCD-EFGH-JKLM` by `M-ABCD`, `EFGH-JK` or `JKLM`.
fn reference_terms(uid: &InstanceId) -> Vec<SearchTerm> {
    suffixes(&normalize(uid.as_str()), MIN_REFERENCE_PART)
        .into_iter()
        .map(|text| SearchTerm {
            text,
            personal: false,
        })
        .collect()
}

fn person_terms(person: &Value, terms: &mut Vec<SearchTerm>) {
    name_terms(text(person, "firstNames"), terms);
    name_terms(text(person, "lastName"), terms);
    if let Some(born) = date_term(text(person, "dateOfBirth")) {
        terms.extend(SearchTerm::personal(&born));
    }
    postcode_terms(person, terms);
}

/// Each word of a name, and each part of a hyphenated one (`Smith-Jones` is found by `smithjones`, `smith`
/// and `jones`).
fn name_terms(name: &str, terms: &mut Vec<SearchTerm>) {
    for word in name.split_whitespace() {
        terms.extend(SearchTerm::personal(word));
        if word.contains(['-', '\'']) {
            terms.extend(word.split(['-', '\'']).filter_map(SearchTerm::personal));
        }
    }
}

/// The whole postcode, and its outward and inward codes (`SW1A 1AA`: `sw1a1aa`, `sw1a`, `1aa`).
fn postcode_terms(holder: &Value, terms: &mut Vec<SearchTerm>) {
    let postcode = holder
        .get("address")
        .map_or("", |a| text(a, "postcode"))
        .trim();
    terms.extend(SearchTerm::personal(postcode));
    let compact = normalize(postcode);
    if postcode.split_whitespace().count() == 1 && compact.len() > 3 {
        let (outward, inward) = compact.split_at(compact.len() - 3);
        terms.extend(
            [outward, inward]
                .into_iter()
                .filter_map(SearchTerm::personal),
        );
    } else {
        terms.extend(postcode.split_whitespace().filter_map(SearchTerm::personal));
    }
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn list<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lpaflow_core::{StateName, WorkflowRef};
    use serde_json::json;

    fn instance(application: Value) -> Instance {
        let mut i = Instance::unborn(
            InstanceId::new("M-ABCD-EFGH-JKLM"),
            WorkflowRef {
                name: "lpa".into(),
                version: 4,
            },
            StateName::new("created"),
            chrono::Utc::now(),
        );
        i.data = json!({ "application": application }).into();
        i
    }

    fn texts(f: &Findable, personal: bool) -> Vec<&str> {
        f.terms
            .iter()
            .filter(|t| t.personal == personal)
            .map(|t| t.text.as_str())
            .collect()
    }

    #[test]
    fn an_lpa_is_found_by_its_people_and_its_reference() {
        let f = findable(&instance(json!({
            "donor": {"firstNames": "Ada Mary", "lastName": "Smith-Jones", "dateOfBirth": "1950-01-31",
                      "address": {"postcode": "SW1A 1AA"}, "otherNamesKnownBy": "Ada O'Brien"},
            "attorneys": [{"firstNames": "Charles", "lastName": "Babbage", "address": {"postcode": "B1 1BB"}}],
            "trustCorporations": [{"name": "Acme Trust", "address": {"postcode": "M11AA"}}],
            "certificateProvider": {"firstNames": "Mary", "lastName": "Somerville"}
        })));
        assert_eq!(f.title.as_deref(), Some("Smith-Jones, Ada Mary"));
        let personal = texts(&f, true);
        for word in [
            "mary",
            "smithjones",
            "smith",
            "jones",
            "19500131",
            "sw1a1aa",
            "sw1a",
            "1aa",
            "obrien",
            "brien",
            "charles",
            "babbage",
            "b11bb",
            "acme",
            "trust",
            "m11aa",
            "m1",
            "somerville",
        ] {
            assert!(personal.contains(&word), "{word} missing from {personal:?}");
        }
        assert_eq!(
            texts(&f, false),
            [
                "abcdefghjklm",
                "bcdefghjklm",
                "cdefghjklm",
                "defghjklm",
                "efghjklm",
                "fghjklm",
                "ghjklm",
                "hjklm",
                "jklm",
                "mabcdefghjklm"
            ]
        );
        // "ada" appears twice (first name, other name): kept once.
        assert_eq!(personal.iter().filter(|t| **t == "ada").count(), 1);
    }

    #[test]
    fn an_empty_paper_application_is_found_by_its_reference_only() {
        let f = findable(&instance(json!({"channel": "paper"})));
        assert_eq!(f.title, None);
        assert!(texts(&f, true).is_empty());
        assert!(texts(&f, false).contains(&"jklm"));
    }
}

//! The store's field validators (`internal/validate/validators.go`) and their messages.
//!
//! Go's validators take `any` and switch on its type, so the same validator answers differently for a value
//! and for a pointer: `Valid()` says "field is required" for an empty enumeration passed by value (the
//! create rules) but "invalid value" for one passed by pointer (the update parsers pass `&data.X`, and
//! `fmt.Sprint` of a pointer is never empty). Both forms are here, named for the case they serve.

use chrono::{DateTime, FixedOffset};
use lpaflow_lpa::lpa_store::{
    AppointmentType, AttorneyStatus, CanUse, Channel, Date, HowMakeDecisions, HowStepIn,
    IdentityCheckType, Lang, LifeSustainingTreatment, LpaStatus, LpaType, go_time,
};

pub const REQUIRED: &str = "field is required";
pub const NOT_PROVIDED: &str = "field must not be provided";
pub const INVALID: &str = "invalid value";
pub const FORMAT: &str = "invalid format";
pub const COUNTRY: &str = "must be a valid ISO-3166-1 country code";
pub const DATE_TIME: &str = "must be a valid datetime";

/// A validator's answer: the message, or `None` when valid.
pub type Check = Option<&'static str>;

/// A `time.Time`: `None` is Go's zero time.
pub type GoTime = Option<DateTime<FixedOffset>>;

/// Whether a `time.Time` value is zero (`None`, or the zero instant written with an offset).
pub fn time_is_zero(t: &GoTime) -> bool {
    t.as_ref().is_none_or(go_time::is_zero)
}

/// `NotEmpty()` on a string.
// `&String`: the parsers take validators as `fn(&T)` with `T` the field's type.
#[allow(clippy::ptr_arg)]
pub fn not_empty_text(s: &String) -> Check {
    s.is_empty().then_some(REQUIRED)
}

/// `Empty()` on a string.
// `&String`: the parsers take validators as `fn(&T)` with `T` the field's type.
#[allow(clippy::ptr_arg)]
pub fn empty_text(s: &String) -> Check {
    (!s.is_empty()).then_some(NOT_PROVIDED)
}

/// `NotEmpty()` on a `time.Time` (and on a `*time.Time`: nil or zero).
pub fn not_empty_time(t: &GoTime) -> Check {
    time_is_zero(t).then_some(REQUIRED)
}

/// `OptionalTime()` on a `*time.Time`: set to the zero time is refused.
pub fn optional_time(t: &Option<DateTime<FixedOffset>>) -> Check {
    t.as_ref()
        .is_some_and(go_time::is_zero)
        .then_some(DATE_TIME)
}

/// `UUID()`: `google/uuid.Validate` accepts 36 characters with hyphens, the same in braces or after
/// `urn:uuid:`, or 32 hex digits; it checks no version or variant.
pub fn uuid(s: &str) -> Check {
    if s.is_empty() {
        return Some(REQUIRED);
    }
    (!go_uuid_is_valid(s.as_bytes())).then_some(FORMAT)
}

fn go_uuid_is_valid(s: &[u8]) -> bool {
    let hex_pairs_ok = |s: &[u8], starts: &[usize]| {
        starts
            .iter()
            .all(|&i| s[i].is_ascii_hexdigit() && s[i + 1].is_ascii_hexdigit())
    };
    let s = match s.len() {
        36 => s,
        45 if s[..9].eq_ignore_ascii_case(b"urn:uuid:") => &s[9..],
        38 if s[0] == b'{' && s[37] == b'}' => &s[1..37],
        32 => return s.iter().all(u8::is_ascii_hexdigit),
        _ => return false,
    };
    s[8] == b'-'
        && s[13] == b'-'
        && s[18] == b'-'
        && s[23] == b'-'
        && hex_pairs_ok(
            s,
            &[0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34],
        )
}

/// `Date()`: malformed first, then missing.
pub fn date(d: &Date) -> Check {
    if d.is_malformed() {
        Some(FORMAT)
    } else if d.is_zero() {
        Some(REQUIRED)
    } else {
        None
    }
}

/// `Country()`: `^[A-Z]{2}$`.
// `&String`: the parsers take validators as `fn(&T)` with `T` the field's type.
#[allow(clippy::ptr_arg)]
pub fn country(s: &String) -> Check {
    let ok = s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase());
    (!ok).then_some(COUNTRY)
}

/// The store's enumerations and their Go `IsValid` (which for `HowStepIn` accepts the empty value) and
/// `Unset`.
pub trait GoEnum {
    fn wire(&self) -> &str;
    fn go_is_valid(&self) -> bool;
}

macro_rules! go_enum {
    ($($t:ty),*) => {$(
        impl GoEnum for $t {
            fn wire(&self) -> &str {
                self.as_str()
            }
            fn go_is_valid(&self) -> bool {
                self.is_valid()
            }
        }
    )*};
}

go_enum!(
    LpaType,
    Channel,
    Lang,
    LpaStatus,
    AttorneyStatus,
    AppointmentType,
    IdentityCheckType,
    HowMakeDecisions,
    CanUse,
    LifeSustainingTreatment
);

impl GoEnum for HowStepIn {
    fn wire(&self) -> &str {
        self.as_str()
    }
    // internal/shared/person.go: HowStepInUnset is one of the valid values.
    fn go_is_valid(&self) -> bool {
        self.is_unset() || self.is_valid()
    }
}

/// `Valid()` on an enumeration passed by value: empty is "field is required".
pub fn valid_value<E: GoEnum>(e: &E) -> Check {
    if e.wire().is_empty() {
        Some(REQUIRED)
    } else if e.go_is_valid() {
        None
    } else {
        Some(INVALID)
    }
}

/// `Valid()` on an enumeration passed by pointer (the update parsers): never "required".
pub fn valid_pointer<E: GoEnum>(e: &E) -> Check {
    (!e.go_is_valid()).then_some(INVALID)
}

/// `Unset()`: the value must be empty.
pub fn unset<E: GoEnum>(e: &E) -> Check {
    (!e.wire().is_empty()).then_some(NOT_PROVIDED)
}

#[cfg(test)]
mod tests {
    //! internal/validate/validators_test.go and validate_test.go.
    use super::*;

    #[test]
    fn uuid_accepts_what_google_uuid_accepts() {
        assert_eq!(uuid(""), Some(REQUIRED));
        assert_eq!(uuid("9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d"), None);
        assert_eq!(uuid("9AC5CB7C-FC75-40C7-8E53-059F36DBBE3D"), None);
        assert_eq!(uuid("{9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d}"), None);
        assert_eq!(uuid("urn:uuid:9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d"), None);
        assert_eq!(uuid("9ac5cb7cfc7540c78e53059f36dbbe3d"), None);
        assert_eq!(uuid("a-1"), Some(FORMAT));
        assert_eq!(uuid("9ac5cb7c-fc75-40c7-8e53-059f36dbbe3g"), Some(FORMAT));
        assert_eq!(uuid("9ac5cb7c_fc75-40c7-8e53-059f36dbbe3d"), Some(FORMAT));
    }

    #[test]
    fn valid_says_required_by_value_but_invalid_by_pointer() {
        assert_eq!(valid_value(&Lang::Unset), Some(REQUIRED));
        assert_eq!(valid_pointer(&Lang::Unset), Some(INVALID));
        assert_eq!(valid_value(&Lang::Other("xy".into())), Some(INVALID));
        assert_eq!(valid_value(&Lang::Cy), None);
        assert_eq!(valid_pointer(&HowStepIn::Unset), None);
        assert_eq!(valid_value(&HowStepIn::Unset), Some(REQUIRED));
        assert_eq!(unset(&CanUse::WhenHasCapacity), Some(NOT_PROVIDED));
        assert_eq!(unset(&CanUse::Unset), None);
    }

    #[test]
    fn country_codes_are_two_capitals() {
        // TestCountryValidator (validators_test.go)
        assert_eq!(country(&"GB".to_owned()), None);
        assert_eq!(country(&"gb".to_owned()), Some(COUNTRY));
        assert_eq!(country(&"GBR".to_owned()), Some(COUNTRY));
        assert_eq!(country(&String::new()), Some(COUNTRY));
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(date(&Date::default()), Some(REQUIRED));
        assert_eq!(date(&Date::from_text("24/01/1970")), Some(FORMAT));
        assert_eq!(date(&Date::from_text("1970-01-24")), None);
        let zero = go_time::parse(go_time::ZERO_TIME);
        assert_eq!(optional_time(&zero), Some(DATE_TIME));
        assert_eq!(optional_time(&None), None);
        assert_eq!(not_empty_time(&zero), Some(REQUIRED));
        assert_eq!(not_empty_time(&None), Some(REQUIRED));
    }
}

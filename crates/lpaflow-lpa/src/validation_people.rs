//! Reading the people and organisations of an application: the donor, attorneys, trust corporations, the
//! certificate provider and people to notify, with their addresses and contact details. Each rule the LPA
//! Store applies to a create (`lambda/create/validate.go`) has a counterpart here, in lpaflow's words, so that
//! an online application lpaflow accepts is one the store accepts: a UUID `uid` when one is given, a channel
//! for every actor, an email for those who use the online service and none for those on paper, the
//! certificate provider's phone, the donor's contact language. lpaflow adds its own rules (a town and a
//! well-formed postcode in the UK, bounded text, an email that looks like one).

use crate::application::{
    Address, AppointmentType, Attorney, CertificateProvider, Channel, Contact, Donor, Person,
    PersonToNotify, TrustCorporation,
};
use crate::fields::{Obj, Problems, child};
use chrono::NaiveDate;

/// The most attorneys (original and replacement together) an application may name.
pub const ATTORNEYS_MAX: usize = 20;
/// The most trust corporations (one acting, one replacement).
pub const TRUST_CORPORATIONS_MAX: usize = 2;
/// The most people to notify.
pub const PEOPLE_TO_NOTIFY_MAX: usize = 5;

const ADDRESS_KEYS: &[&str] = &["line1", "line2", "line3", "town", "postcode", "country"];
const CONTACT_KEYS: &[&str] = &["channel", "email", "contactLanguagePreference"];

/// Whether `text` is a UUID in its usual form (`8-4-4-4-12` hexadecimal digits), as the store requires of
/// every actor's `uid`.
pub fn uuid_well_formed(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Reads an optional actor `uid`: a UUID when given (the rules generate one otherwise).
fn read_uid(o: &Obj<'_>, p: &mut Problems) -> String {
    let uid = o.opt_text("uid", p).unwrap_or_default();
    if !uid.is_empty() && !uuid_well_formed(&uid) {
        p.add(
            o.ptr("uid"),
            "must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
        );
    }
    uid
}

fn read_email(o: &Obj<'_>, p: &mut Problems) -> Option<String> {
    let email = o.opt_text("email", p);
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        p.add(o.ptr("email"), "is not an email address");
    }
    email
}

/// Channel, email, phone (under `phone_key`) and contact language; an online actor needs an email and a
/// paper one may not have one (the store refuses both).
fn read_contact(o: &Obj<'_>, phone_key: &str, p: &mut Problems) -> Contact {
    let contact = Contact {
        channel: o.req_wire("channel", p),
        email: read_email(o, p),
        phone: o.opt_text(phone_key, p),
        language: o.opt_wire("contactLanguagePreference", p),
    };
    match (&contact.channel, &contact.email) {
        (Some(Channel::Online), None) => {
            p.add(o.ptr("email"), "is required for someone who uses the online service")
        }
        (Some(Channel::Paper), Some(_)) => p.add(
            o.ptr("email"),
            "must not be given for someone who uses paper (the LPA Store refuses it); change the channel to online",
        ),
        // An unknown channel is refused where the channel is read.
        (Some(Channel::Online), Some(_))
        | (Some(Channel::Paper), None)
        | (Some(Channel::Unset | Channel::Other(_)), _)
        | (None, _) => {}
    }
    contact
}

/// Reads an address object at `ptr`.
pub(crate) fn read_address(o: &Obj<'_>, p: &mut Problems) -> Address {
    o.no_other_keys(ADDRESS_KEYS, p);
    let country = o.req_text("country", p);
    let iso_code = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
    if !country.is_empty() && !iso_code {
        p.add(
            o.ptr("country"),
            "must be a two-letter country code such as GB",
        );
    }
    let postcode = o.opt_text("postcode", p);
    if country == "GB" {
        match &postcode {
            None if o.get("postcode").is_none() => {
                p.add(o.ptr("postcode"), "is required in the UK")
            }
            Some(pc) if !uk_postcode_well_formed(pc) => {
                p.add(o.ptr("postcode"), "is not a well-formed UK postcode")
            }
            _ => {}
        }
    }
    Address {
        line1: o.req_text("line1", p),
        line2: o.opt_text("line2", p),
        line3: o.opt_text("line3", p),
        town: o.req_text("town", p),
        postcode,
        country,
    }
}

/// True for a well-formed UK postcode (`SW1A 1AA`, `M1 1AE`, `GIR 0AA`), spaces and case ignored.
pub fn uk_postcode_well_formed(postcode: &str) -> bool {
    let compact: String = postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if compact == "GIR0AA" {
        return true;
    }
    if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
        return false;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let shape = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                'A'..='Z' => 'A',
                '0'..='9' => '9',
                _ => '?',
            })
            .collect()
    };
    matches!(
        shape(outward).as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    ) && shape(inward) == "9AA"
}

fn read_required_address(o: &Obj<'_>, p: &mut Problems) -> Option<Address> {
    let ptr = o.ptr("address");
    match o.get("address") {
        None => {
            p.add(ptr, "is required");
            None
        }
        Some(v) => Obj::of(v, &ptr, p).map(|a| read_address(&a, p)),
    }
}

fn read_person(o: &Obj<'_>, today: NaiveDate, dob_required: bool, p: &mut Problems) -> Person {
    let date_of_birth = read_date_of_birth(o, today, dob_required, p);
    Person {
        first_names: o.req_text("firstNames", p),
        last_name: o.req_text("lastName", p),
        date_of_birth,
        address: read_required_address(o, p),
    }
}

/// A date of birth, not after `today` (a future one is a problem and is left out).
fn read_date_of_birth(
    o: &Obj<'_>,
    today: NaiveDate,
    required: bool,
    p: &mut Problems,
) -> Option<NaiveDate> {
    let date_of_birth = if required {
        o.req_date("dateOfBirth", p)
    } else {
        o.opt_date("dateOfBirth", p)
    };
    if date_of_birth.is_some_and(|d| d > today) {
        p.add(o.ptr("dateOfBirth"), "must not be in the future");
    }
    date_of_birth.filter(|d| *d <= today)
}

/// The object under `key`, or a problem when it is missing or not an object.
fn required_object<'a>(o: &Obj<'a>, key: &str, ptr: &'a str, p: &mut Problems) -> Option<Obj<'a>> {
    let Some(v) = o.get(key) else {
        p.add(ptr, "is required");
        return None;
    };
    Obj::of(v, ptr, p)
}

/// The donor.
pub(crate) fn read_donor(o: &Obj<'_>, today: NaiveDate, p: &mut Problems) -> Donor {
    let ptr = o.ptr("donor");
    let Some(d) = required_object(o, "donor", &ptr, p) else {
        return Donor::default();
    };
    d.no_other_keys(
        &[
            "uid",
            "firstNames",
            "lastName",
            "otherNamesKnownBy",
            "dateOfBirth",
            "email",
            "address",
            "contactLanguagePreference",
        ],
        p,
    );
    Donor {
        uid: read_uid(&d, p),
        person: read_person(&d, today, true, p),
        other_names_known_by: d.opt_text("otherNamesKnownBy", p),
        email: read_email(&d, p),
        contact_language: d.req_wire("contactLanguagePreference", p),
    }
}

/// Each item of the list under `key` (at most `max`) as an object, with its pointer.
fn each_object<'a, T>(
    o: &Obj<'a>,
    key: &str,
    max: usize,
    what: &str,
    p: &mut Problems,
    mut read: impl FnMut(&Obj<'_>, &mut Problems) -> T,
) -> Vec<T> {
    let ptr = o.ptr(key);
    let Some(items) = o.opt_array(key, p) else {
        return Vec::new();
    };
    if items.len() > max {
        p.add(&ptr, format!("names more than {max} {what}"));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate().take(max) {
        let item_ptr = child(&ptr, &i.to_string());
        if let Some(obj) = Obj::of(item, &item_ptr, p) {
            out.push(read(&obj, p));
        }
    }
    out
}

/// Attorneys: at least one (the store requires a person among the attorneys even with a trust corporation).
pub(crate) fn read_attorneys(o: &Obj<'_>, today: NaiveDate, p: &mut Problems) -> Vec<Attorney> {
    let ptr = o.ptr("attorneys");
    if o.get("attorneys").is_none() {
        p.add(&ptr, "is required: name at least one attorney");
        return Vec::new();
    }
    let out = each_object(o, "attorneys", ATTORNEYS_MAX, "attorneys", p, |a, p| {
        let mut keys = vec![
            "uid",
            "firstNames",
            "lastName",
            "dateOfBirth",
            "address",
            "appointmentType",
            "mobile",
        ];
        keys.extend_from_slice(CONTACT_KEYS);
        a.no_other_keys(&keys, p);
        Attorney {
            uid: read_uid(a, p),
            person: read_person(a, today, true, p),
            appointment_type: a.req_wire("appointmentType", p),
            contact: read_contact(a, "mobile", p),
        }
    });
    if o.opt_array("attorneys", &mut Problems::default())
        .is_some_and(Vec::is_empty)
    {
        p.add(&ptr, "must name at least one attorney");
    }
    out
}

/// Trust corporations.
pub(crate) fn read_trust_corporations(o: &Obj<'_>, p: &mut Problems) -> Vec<TrustCorporation> {
    each_object(
        o,
        "trustCorporations",
        TRUST_CORPORATIONS_MAX,
        "trust corporations",
        p,
        |t, p| {
            let mut keys = vec![
                "uid",
                "name",
                "companyNumber",
                "address",
                "appointmentType",
                "mobile",
            ];
            keys.extend_from_slice(CONTACT_KEYS);
            t.no_other_keys(&keys, p);
            TrustCorporation {
                uid: read_uid(t, p),
                name: t.req_text("name", p),
                company_number: t.opt_text("companyNumber", p),
                address: read_required_address(t, p),
                appointment_type: t.req_wire("appointmentType", p),
                contact: read_contact(t, "mobile", p),
            }
        },
    )
}

/// The certificate provider.
pub(crate) fn read_certificate_provider(
    o: &Obj<'_>,
    today: NaiveDate,
    p: &mut Problems,
) -> CertificateProvider {
    let ptr = o.ptr("certificateProvider");
    let Some(c) = required_object(o, "certificateProvider", &ptr, p) else {
        return CertificateProvider::default();
    };
    let mut keys = vec![
        "uid",
        "firstNames",
        "lastName",
        "dateOfBirth",
        "address",
        "relationship",
        "knownForYears",
        "phone",
    ];
    keys.extend_from_slice(CONTACT_KEYS);
    c.no_other_keys(&keys, p);
    let contact = read_contact(&c, "phone", p);
    if contact.phone.is_none() {
        p.add(c.ptr("phone"), "is required");
    }
    CertificateProvider {
        uid: read_uid(&c, p),
        person: read_person(&c, today, false, p),
        relationship: c.req_enum("relationship", p),
        known_for_years: c.opt_int("knownForYears", 0, 120, p),
        contact,
    }
}

/// People to notify.
pub(crate) fn read_people_to_notify(
    o: &Obj<'_>,
    today: NaiveDate,
    p: &mut Problems,
) -> Vec<PersonToNotify> {
    each_object(
        o,
        "peopleToNotify",
        PEOPLE_TO_NOTIFY_MAX,
        "people",
        p,
        |n, p| {
            n.no_other_keys(
                &["uid", "firstNames", "lastName", "dateOfBirth", "address"],
                p,
            );
            let address = n.get("address").and_then(|v| {
                let ap = n.ptr("address");
                Obj::of(v, &ap, p).map(|a| read_address(&a, p))
            });
            PersonToNotify {
                uid: read_uid(n, p),
                person: Person {
                    first_names: n.req_text("firstNames", p),
                    last_name: n.req_text("lastName", p),
                    // lpaflow's own (the store keeps no date of birth for them): for the 100-year warning.
                    date_of_birth: read_date_of_birth(n, today, false, p),
                    address,
                },
            }
        },
    )
}

/// Reports a uid given to two actors (the second and later ones).
pub(crate) fn check_unique_uids(
    donor: &Donor,
    attorneys: &[Attorney],
    trust_corporations: &[TrustCorporation],
    certificate_provider: &CertificateProvider,
    people: &[PersonToNotify],
    p: &mut Problems,
) {
    let mut given: Vec<(String, &str)> = vec![
        ("/donor/uid".into(), donor.uid.as_str()),
        (
            "/certificateProvider/uid".into(),
            certificate_provider.uid.as_str(),
        ),
    ];
    given.extend(
        attorneys
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("/attorneys/{i}/uid"), a.uid.as_str())),
    );
    given.extend(
        trust_corporations
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("/trustCorporations/{i}/uid"), t.uid.as_str())),
    );
    given.extend(
        people
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("/peopleToNotify/{i}/uid"), n.uid.as_str())),
    );
    let mut seen: Vec<&str> = Vec::new();
    for (pointer, uid) in given {
        if uid.is_empty() {
            continue;
        }
        if seen.contains(&uid) {
            p.add(pointer, "is used by someone else in this LPA");
        } else {
            seen.push(uid);
        }
    }
}

/// Whether an appointment is original (counted among those who act from the start).
pub(crate) fn is_original(appointment: &Option<AppointmentType>) -> bool {
    *appointment == Some(AppointmentType::Original)
}

/// Whether an appointment is a replacement.
pub(crate) fn is_replacement(appointment: &Option<AppointmentType>) -> bool {
    *appointment == Some(AppointmentType::Replacement)
}

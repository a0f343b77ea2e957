//! The benchmark workload's payloads and its two rule steps, ported from `shared/bench/lpa_payload.py` (the
//! executable reference): byte-identical canonical JSON (keys in the order built, `,`/`:` separators, ASCII),
//! every payload exactly 1024 bytes. A test checks the N=10000 output against the SHA-256 in
//! `shared/bench/workload.md`.

use serde::{Deserialize, Serialize};

/// Every payload's size in canonical form.
pub const PAYLOAD_BYTES: usize = 1024;
/// The reference date of every age rule.
pub const SIGNED_AT: &str = "2025-01-01";

const FIRST: [&str; 12] = [
    "Alice", "Benjamin", "Chloe", "Daniel", "Eleanor", "Farhan", "Grace", "Harry", "Isla", "Jacob",
    "Kiran", "Lucy",
];
const LAST: [&str; 13] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Wright", "Evans", "Khan", "Thomas",
];
const TOWNS: [&str; 8] = [
    "Birmingham",
    "Leeds",
    "Bristol",
    "Cardiff",
    "Norwich",
    "York",
    "Exeter",
    "Nottingham",
];
const AREAS: [&str; 8] = ["B", "LS", "BS", "CF", "NR", "YO", "EX", "NG"];
const FILLER: &str = "My attorneys must keep my home in good repair, consult my family before selling it, and keep receipts for every payment they make. ";

/// Fees in pence.
pub const FEE_FULL: u32 = 9200;
/// Half fee.
pub const FEE_HALF: u32 = 4600;
/// Exemption.
pub const FEE_EXEMPT: u32 = 0;
const LOW_INCOME_LIMIT_GBP: u32 = 12_000;

/// An address (field order matters: it is the canonical order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    pub town: String,
    pub postcode: String,
}

/// A person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub dob: String,
    pub address: Address,
}

/// The certificate provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateProvider {
    pub name: String,
    pub relationship: String,
    pub known_years: u32,
}

/// Fee facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub gross_income_gbp: u32,
    pub receives_benefits: bool,
}

/// One application, in canonical key order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub lpa_id: String,
    #[serde(rename = "type")]
    pub lpa_type: String,
    pub donor: Person,
    pub attorneys: Vec<Person>,
    pub how_attorneys_act: String,
    pub replacement_attorneys: Vec<Person>,
    pub certificate_provider: CertificateProvider,
    pub people_to_notify: Vec<String>,
    pub fee: Fee,
    pub signed_at: String,
    pub instructions: String,
}

/// `0 -> M-0000-0000-0000`, `12345 -> M-0000-0001-2345` (`W-` for warm-up instances).
pub fn lpa_id(prefix: char, i: u64) -> String {
    let s = format!("{i:012}");
    format!("{prefix}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
}

fn name(k: u64) -> String {
    format!(
        "{} {}",
        FIRST[(k % 12) as usize],
        LAST[((k / 12) % 13) as usize]
    )
}

fn address(k: u64) -> Address {
    let t = (k % 8) as usize;
    let letters1 = b"ABDEFGHJ";
    let letters2 = b"LNPQRSTU";
    Address {
        line1: format!("{} {} Road", 1 + k % 200, LAST[(k % 13) as usize]),
        town: TOWNS[t].to_owned(),
        postcode: format!(
            "{}{} {}{}{}",
            AREAS[t],
            1 + k % 20,
            k % 10,
            letters1[(k % 8) as usize] as char,
            letters2[((k / 8) % 8) as usize] as char
        ),
    }
}

fn dob(year: u64, k: u64) -> String {
    format!("{year:04}-{:02}-{:02}", 1 + k % 12, 1 + k % 28)
}

/// The payload of instance `i` (ids with `prefix`: `M` timed, `W` warm-up).
pub fn make_payload(prefix: char, i: u64) -> Payload {
    let base = 7 * i;
    let n_att = 1 + i % 3;
    let attorneys = (0..n_att)
        .map(|j| Person {
            name: name(base + 1 + j),
            dob: dob(1960 + (i + 11 * j) % 45, i + j),
            address: address(i + 1 + j),
        })
        .collect();
    let replacement_attorneys = if i % 2 == 1 {
        vec![Person {
            name: name(base + 4),
            dob: dob(1970 + i % 30, i + 5),
            address: address(i + 4),
        }]
    } else {
        vec![]
    };
    let certificate_provider = if i.is_multiple_of(5) {
        CertificateProvider {
            name: name(base + 5),
            relationship: "professional".into(),
            known_years: 0,
        }
    } else {
        CertificateProvider {
            name: name(base + 5),
            relationship: "friend".into(),
            known_years: 2 + (i % 10) as u32,
        }
    };
    let fee = match i % 4 {
        0 | 1 => Fee {
            gross_income_gbp: 30_000 + (i % 20_000) as u32,
            receives_benefits: false,
        },
        2 => Fee {
            gross_income_gbp: 9_000 + (i % 2_000) as u32,
            receives_benefits: false,
        },
        _ => Fee {
            gross_income_gbp: 8_000,
            receives_benefits: true,
        },
    };
    let mut p = Payload {
        lpa_id: lpa_id(prefix, i),
        lpa_type: if i.is_multiple_of(2) {
            "property-and-affairs"
        } else {
            "personal-welfare"
        }
        .to_owned(),
        donor: Person {
            name: name(base),
            dob: dob(1935 + i % 40, i),
            address: address(i),
        },
        attorneys,
        how_attorneys_act: match (n_att, i % 2) {
            (1, _) => "sole",
            (_, 0) => "jointly",
            _ => "jointly-and-severally",
        }
        .to_owned(),
        replacement_attorneys,
        certificate_provider,
        people_to_notify: if i.is_multiple_of(3) {
            vec![name(base + 6)]
        } else {
            vec![]
        },
        fee,
        signed_at: SIGNED_AT.to_owned(),
        instructions: String::new(),
    };
    let room = PAYLOAD_BYTES.saturating_sub(canonical(&p).len());
    p.instructions = FILLER.repeat(room / FILLER.len() + 1)[..room].to_owned();
    p
}

/// Canonical JSON of a payload (struct field order, compact, ASCII).
pub fn canonical<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn age(dob: &str, on: &str) -> i64 {
    let parts = |s: &str| -> (i64, i64, i64) {
        let mut it = s.split('-').map(|x| x.parse::<i64>().unwrap_or(0));
        (
            it.next().unwrap_or(0),
            it.next().unwrap_or(0),
            it.next().unwrap_or(0),
        )
    };
    let (y1, m1, d1) = parts(dob);
    let (y2, m2, d2) = parts(on);
    y2 - y1 - i64::from((m2, d2) < (m1, d1))
}

/// Output of the safeguarding step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Safeguarding {
    pub passed: bool,
    pub checks_run: u32,
    pub failed: Vec<String>,
}

fn postcode_ok(p: &str) -> bool {
    // ^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$
    let Some((outward, inward)) = p.split_once(' ') else {
        return false;
    };
    let b = outward.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) || b.len() < letters + 1 || !b[letters].is_ascii_digit() {
        return false;
    }
    let rest = &b[letters + 1..];
    let outward_ok = rest.is_empty()
        || (rest.len() == 1 && (rest[0].is_ascii_digit() || rest[0].is_ascii_uppercase()));
    let i = inward.as_bytes();
    outward_ok
        && i.len() == 3
        && i[0].is_ascii_digit()
        && i[1].is_ascii_uppercase()
        && i[2].is_ascii_uppercase()
}

/// The six safeguarding rules of the workload, all evaluated.
pub fn safeguarding_check(p: &Payload) -> Safeguarding {
    let on = &p.signed_at;
    let atts: Vec<&Person> = p.attorneys.iter().chain(&p.replacement_attorneys).collect();
    let mut failed = Vec::new();
    if age(&p.donor.dob, on) < 18 {
        failed.push("donor_adult".to_owned());
    }
    if atts.iter().any(|a| age(&a.dob, on) < 18) {
        failed.push("attorneys_adult".to_owned());
    }
    let n = p.attorneys.len();
    if !(1..=5).contains(&n) || ((p.how_attorneys_act == "sole") != (n == 1)) {
        failed.push("attorney_count".to_owned());
    }
    let cp = &p.certificate_provider;
    if cp.name == p.donor.name || atts.iter().any(|a| a.name == cp.name) {
        failed.push("cp_independent".to_owned());
    }
    if !(cp.relationship == "professional" || cp.known_years >= 2) {
        failed.push("cp_relationship".to_owned());
    }
    if !postcode_ok(&p.donor.address.postcode) {
        failed.push("donor_postcode".to_owned());
    }
    Safeguarding {
        passed: failed.is_empty(),
        checks_run: 6,
        failed,
    }
}

/// Output of the discount step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub band: String,
    pub fee_pence: u32,
}

/// The fee band.
pub fn discount_eligibility(p: &Payload) -> Discount {
    if p.fee.receives_benefits {
        Discount {
            band: "exempt".into(),
            fee_pence: FEE_EXEMPT,
        }
    } else if p.fee.gross_income_gbp < LOW_INCOME_LIMIT_GBP {
        Discount {
            band: "half".into(),
            fee_pence: FEE_HALF,
        }
    } else {
        Discount {
            band: "full".into(),
            fee_pence: FEE_FULL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn ten_thousand_payloads_hash_to_the_reference() {
        let mut h = Sha256::new();
        for i in 0..10_000 {
            let line = canonical(&make_payload('M', i));
            assert_eq!(line.len(), PAYLOAD_BYTES, "payload {i}");
            h.update(line.as_bytes());
            h.update(b"\n");
        }
        assert_eq!(
            hex::encode(h.finalize()),
            "820fd54637d5f532abf1c4d30b7159a39f5d8e6569d901ba40e8da068c8fc5bc"
        );
    }

    #[test]
    fn ids_and_rules_match_the_reference() {
        assert_eq!(lpa_id('M', 0), "M-0000-0000-0000");
        assert_eq!(lpa_id('M', 12345), "M-0000-0001-2345");
        let mut bands = [0; 3];
        for i in 0..1000 {
            let p = make_payload('M', i);
            assert!(safeguarding_check(&p).passed, "{i}");
            match discount_eligibility(&p).band.as_str() {
                "full" => bands[0] += 1,
                "half" => bands[1] += 1,
                _ => bands[2] += 1,
            }
        }
        assert_eq!(bands, [500, 250, 250]);
        assert!(postcode_ok("LS1 1AA") && postcode_ok("B12 3DL") && postcode_ok("EC1A 1BB"));
        assert!(!postcode_ok("ls1 1aa") && !postcode_ok("LS11AA") && !postcode_ok("LSS1 1AA"));
    }
}

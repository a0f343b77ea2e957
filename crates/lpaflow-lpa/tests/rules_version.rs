//! What `audit verify --replay` may replay an entry with: the rules of this build's version in the deployment's
//! zone; nothing for an earlier released version; never anything for a version no release wrote.
#![allow(clippy::unwrap_used)]

use lpaflow_core::replay::{RulesOf, recorded_version};
use lpaflow_core::{BusinessZone, Rules};
use lpaflow_lpa::{LpaRules, RULES_VERSION};

fn kind(version: &str) -> &'static str {
    match LpaRules::of_version(version, BusinessZone::LONDON) {
        RulesOf::Rules(r) => {
            assert_eq!(r.version(), version);
            "rules"
        }
        RulesOf::Retired => "retired",
        RulesOf::Unknown => "unknown",
    }
}

#[test]
fn only_this_builds_version_in_the_deployments_zone_replays() {
    let current = LpaRules::new(BusinessZone::LONDON).version();
    assert_eq!(
        current,
        format!("lpaflow-lpa/{RULES_VERSION}@Europe/London")
    );
    assert_eq!(kind(&current), "rules");
    assert_eq!(
        kind(&format!("lpaflow-lpa/{RULES_VERSION}@Pacific/Kiritimati")),
        "unknown"
    );
    assert_eq!(kind("lpaflow-lpa/0@Europe/London"), "unknown");
    assert_eq!(
        kind(&format!("lpaflow-lpa/{}@Europe/London", RULES_VERSION + 1)),
        "unknown"
    );
    assert_eq!(kind("plain/1@Europe/London"), "unknown");
    assert_eq!(kind("lpaflow-lpa/one@Europe/London"), "unknown");
    let earlier = (1..=RULES_VERSION).filter(|n| *n < RULES_VERSION);
    for n in earlier {
        assert_eq!(kind(&format!("lpaflow-lpa/{n}@Europe/London")), "retired");
    }
}

#[test]
fn an_entry_records_the_interpreter_and_the_rules() {
    let rules = LpaRules::new(BusinessZone::LONDON);
    assert_eq!(
        recorded_version(&rules),
        format!("core/2 lpaflow-lpa/{RULES_VERSION}@Europe/London")
    );
}

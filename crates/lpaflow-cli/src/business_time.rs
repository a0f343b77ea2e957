//! `--business-timezone`: the zone whose calendar the LPA rules speak of.
//!
//! Every process sharing a database must use the same zone: it decides which day a signature, a receipt or a
//! deadline falls on, and those decisions are written into the history. The OPG works in UK local time, so
//! the default is `Europe/London`; another zone is for tests and other jurisdictions' workflows.

use clap::Args;
use lpaflow_core::BusinessZone;

/// The business time zone flag.
#[derive(Clone, Debug, Args)]
pub struct BusinessTimeArgs {
    /// IANA time zone of the rules' calendar: ages, fee dates, deadlines and the waiting period are local dates
    /// there, and "end of day" timers fire at its midnight.
    #[arg(
        long = "business-timezone",
        env = "LPAFLOW_BUSINESS_TIMEZONE",
        default_value = "Europe/London",
        value_parser = BusinessZone::parse
    )]
    pub zone: BusinessZone,
}

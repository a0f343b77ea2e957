//! The LPA Store's wire contract, defined once (`shared/lpa-store/`, the store's Go code at the pinned
//! commit): the LPA document, the create and update bodies, update types, statuses, the change log and the
//! error body. The LPA rules build requests from these types, the OPG client sends and compares them, and the
//! simulator stores them, so the three cannot drift apart on names or shapes.
//!
//! The types follow the store's Go structs, not lpaflow's domain: Go's `omitempty` decides what is written,
//! Go's zero times and dates are kept ([`go_time`]), enumerations accept any text and say whether the store
//! knows it ([`wire_enum`]), and fields the store does not declare cannot be expressed. What the store
//! *decides* (validation, update rules) is not here: the simulator ports it separately, so that a mistake in
//! lpaflow's own rules is not repeated by the system that checks them. The one store behaviour here is
//! [`set_defaults`]: the client needs it to know what the store holds after a create.

pub mod go_time;
mod model;
mod problem;
mod update;
mod wire_enum;

pub use wire_enum::WireEnum;

pub use go_time::Date;
pub use model::{
    Address, AppointmentType, Attorney, AttorneyStatus, AuthorisedSignatory, CanUse,
    CertificateProvider, Channel, Donor, File, FileUpload, HowMakeDecisions, HowStepIn,
    IdentityCheck, IdentityCheckType, IndependentWitness, Lang, LifeSustainingTreatment, Lpa,
    LpaFields, LpaInit, LpaStatus, LpaType, Note, PersonToNotify, Signatory, TrustCorporation,
    count_attorneys, find_index, set_defaults,
};
pub use problem::{
    FieldError, INTERNAL_SERVER_ERROR, INVALID_REQUEST, NOT_FOUND, Problem, UNAUTHORISED,
};
pub use update::{
    AuthorDetails, Change, ChangeLogEntry, Update, UpdateType, author_details, makeregister_author,
};

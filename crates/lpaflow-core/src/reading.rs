//! What the rules read from one instance's data, read once and shared.
//!
//! Instance data is JSON; a domain's rules work on their own typed view of it (the LPA rules deserialize an
//! `LpaData`). One command used to read that view five times or more: each guard, the action, the step
//! payloads, the automatic transitions' guards on the result, then the labels and search terms of the result.
//! A [`Reading`] is made empty for one data value and filled by the first rule that reads it; the interpreter
//! hands it to every later rule that looks at the same value, and an action hands over the reading of the data
//! it produced (the typed value it just built), so the result is never read back from JSON either.
//!
//! A reading belongs to exactly one data value and is never filled from another: the interpreter makes a new
//! one wherever data changes (an action's result comes with its own, or an empty one). The type is the rules'
//! choice; a rule asking for another type than the one kept reads for itself (nothing is shared, nothing is
//! wrong).

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

type Kept = Box<dyn Any + Send + Sync>;

/// The rules' reading of one instance's data, filled at most once and shared by cheap clones.
#[derive(Clone, Default)]
pub struct Reading(Arc<OnceLock<Kept>>);

impl Reading {
    /// A reading nothing has filled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A reading already made: the typed value an action produced the data from.
    pub fn of<T: Any + Send + Sync>(value: T) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Box::new(value) as Kept);
        Self(Arc::new(cell))
    }

    /// The kept reading of type `T`, made by `read` if nothing is kept yet. If a reading of another type is
    /// kept, `read` runs again and its value is returned without being kept.
    pub fn get_or_read<T: Any + Send + Sync + Clone>(&self, read: impl Fn() -> T) -> Cow<'_, T> {
        let kept = self.0.get_or_init(|| Box::new(read()));
        match kept.downcast_ref::<T>() {
            Some(value) => Cow::Borrowed(value),
            None => Cow::Owned(read()),
        }
    }

    /// Whether something is kept (for tests and metrics).
    pub fn is_filled(&self) -> bool {
        self.0.get().is_some()
    }
}

impl fmt::Debug for Reading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_filled() {
            "Reading(filled)"
        } else {
            "Reading(empty)"
        })
    }
}

/// Two readings of equal data are equal: a reading is a function of its data, which decisions compare.
impl PartialEq for Reading {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn the_first_read_is_kept_and_shared_by_clones() {
        let reads = Cell::new(0);
        let reading = Reading::new();
        let copy = reading.clone();
        let first = reading.get_or_read(|| {
            reads.set(reads.get() + 1);
            41u32 + 1
        });
        assert_eq!(*first, 42);
        assert!(matches!(first, Cow::Borrowed(_)));
        let again = copy.get_or_read(|| {
            reads.set(reads.get() + 1);
            0u32
        });
        assert_eq!((*again, reads.get()), (42, 1));
    }

    #[test]
    fn a_made_reading_is_never_read_again() {
        let reading = Reading::of(String::from("typed"));
        let got = reading.get_or_read(|| -> String { panic!("must not read") });
        assert_eq!(got.as_str(), "typed");
    }

    #[test]
    fn another_type_reads_for_itself_and_keeps_nothing() {
        let reading = Reading::of(7u8);
        let other = reading.get_or_read(|| String::from("own"));
        assert!(matches!(other, Cow::Owned(ref s) if s == "own"));
        assert_eq!(*reading.get_or_read(|| 0u8), 7);
    }
}

//! The LPA Store's enumerations are Go strings: any text decodes, the empty string is "not given", and
//! validation says whether the value is one it knows. [`wire_enum!`] gives each one a Rust enum with the known
//! values, `Unset` for the empty string and `Other` for anything else, so that what the store would keep (a
//! paper LPA is stored with its invalid values) can be kept too, and written back unchanged.

/// Declares a wire enum: `wire_enum!(Name { Variant = "wire-name", ... })`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            /// Not given: Go's zero value, the empty string.
            #[default]
            Unset,
            $($(#[$vdoc])* $variant,)+
            /// A value the store does not know (kept as sent).
            Other(String),
        }

        impl $name {
            /// The values the store knows, as it spells them.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The wire spelling (`""` for `Unset`).
            pub fn as_str(&self) -> &str {
                match self {
                    Self::Unset => "",
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s,
                }
            }

            /// Reads the wire spelling; never fails.
            pub fn from_wire(text: &str) -> Self {
                match text {
                    "" => Self::Unset,
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }

            /// One of the values the store knows (Go's `IsValid`).
            pub fn is_valid(&self) -> bool {
                !matches!(self, Self::Unset | Self::Other(_))
            }

            /// Not given (Go's `Unset`).
            pub fn is_unset(&self) -> bool {
                matches!(self, Self::Unset)
            }
        }

        impl $crate::lpa_store::WireEnum for $name {
            const KNOWN: &'static [&'static str] = $name::KNOWN;

            fn from_wire(text: &str) -> Self {
                $name::from_wire(text)
            }

            fn is_valid(&self) -> bool {
                $name::is_valid(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = Option::<String>::deserialize(d)?;
                Ok(Self::from_wire(text.as_deref().unwrap_or("")))
            }
        }
    };
}

pub(crate) use wire_enum;

/// What every wire enum offers, for code that reads any of them (lpaflow's application reader).
pub trait WireEnum: Sized {
    /// The values the store knows.
    const KNOWN: &'static [&'static str];
    /// Reads the wire spelling; never fails.
    fn from_wire(text: &str) -> Self;
    /// One of the known values.
    fn is_valid(&self) -> bool;
}

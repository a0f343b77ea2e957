//! Database URLs: which backend, and how to show one without its password.

use crate::Error;

/// The backend a URL selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` (or `sqlite:PATH`); the file is created if missing.
    Sqlite {
        /// The file path.
        path: String,
    },
    /// `postgres://...` or `postgresql://...`; `?schema=NAME` picks the schema (default `lpaflow`).
    Postgres {
        /// The URL without lpaflow's own parameters.
        url: String,
        /// The schema lpaflow's tables live in.
        schema: String,
    },
}

/// The default PostgreSQL schema.
pub const DEFAULT_SCHEMA: &str = "lpaflow";

impl DatabaseUrl {
    /// Parses a database URL.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        if let Some(rest) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(Error::UnsupportedUrl(mask_password(raw)));
            }
            return Ok(DatabaseUrl::Sqlite {
                path: path.to_owned(),
            });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let mut url =
                url::Url::parse(raw).map_err(|_| Error::UnsupportedUrl(mask_password(raw)))?;
            let mut schema = DEFAULT_SCHEMA.to_owned();
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter_map(|(k, v)| {
                    if k == "schema" {
                        schema = v.into_owned();
                        None
                    } else {
                        Some((k.into_owned(), v.into_owned()))
                    }
                })
                .collect();
            if schema.is_empty()
                || !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(Error::UnsupportedUrl(format!(
                    "{} (schema must be letters, digits or _)",
                    mask_password(raw)
                )));
            }
            url.set_query(None);
            if !kept.is_empty() {
                url.query_pairs_mut().extend_pairs(kept);
            }
            return Ok(DatabaseUrl::Postgres {
                url: url.to_string(),
                schema,
            });
        }
        Err(Error::UnsupportedUrl(mask_password(raw)))
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn mask_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_backends_and_the_schema() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://lpaflow.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "lpaflow.db".into()
            }
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:/tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "/tmp/x.db".into()
            }
        );
        let DatabaseUrl::Postgres { url, schema } =
            DatabaseUrl::parse("postgres://u:p@localhost:5432/db?schema=ops&sslmode=disable")
                .unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(schema, "ops");
        assert_eq!(url, "postgres://u:p@localhost:5432/db?sslmode=disable");
    }

    #[test]
    fn refuses_other_urls_without_showing_passwords() {
        let err = DatabaseUrl::parse("mysql://root:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mysql://root:***@h/db"), "{err}");
        assert!(DatabaseUrl::parse("postgres://h/db?schema=a;drop").is_err());
    }
}

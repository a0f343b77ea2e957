//! The split between the role that owns lpaflow's tables (the one `lpaflow migrate` connects as) and the role
//! `serve` connects as. Only a table's owner (or a superuser) can disable its triggers, drop or alter it; the
//! serving role is granted what the engine needs and, on history and reveals, only SELECT and INSERT: it can
//! neither rewrite nor remove an entry, nor switch off the triggers that refuse it.

use super::{PgDb, quote_ident};
use crate::Error;

impl PgDb {
    /// Grants `role` what `serve` needs on lpaflow's schema, and on `history` and `reveals` only SELECT and INSERT.
    pub async fn grant_serving_role(&self, role: &str) -> Result<(), Error> {
        let role = quote_ident(role);
        let schema = quote_ident(&self.schema);
        let statements = [
            format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
            ),
            format!("REVOKE ALL ON history FROM {role}"),
            format!("GRANT SELECT, INSERT ON history TO {role}"),
            format!("REVOKE ALL ON reveals FROM {role}"),
            format!("GRANT SELECT, INSERT ON reveals TO {role}"),
            format!("REVOKE ALL ON _sqlx_migrations FROM {role}"),
            format!("GRANT SELECT ON _sqlx_migrations TO {role}"),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"),
        ];
        let mut tx = self.pool.begin().await.map_err(Error::db("begin grants"))?;
        for s in &statements {
            sqlx::query(s)
                .execute(&mut *tx)
                .await
                .map_err(Error::db("grant the serving role"))?;
        }
        tx.commit().await.map_err(Error::db("commit grants"))?;
        Ok(())
    }
}

//! The append-only change log: every write, by whom, when, and each field's old and new value.

use diesel::prelude::*;
use serde_json::{Map, Value};

use super::DbConnection;
use super::rows::{ChangeRow, NewChangeRow};
use super::schema::changes;

/// Who made a change: the token's subject, role and (for provider editors) organisation.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub role: String,
    pub organisation: Option<String>,
}

impl Actor {
    /// The caller of an API write.
    pub fn of(principal: &crate::domain::access::Principal) -> Self {
        Actor {
            subject: principal.subject.clone(),
            role: principal.role.as_str().to_owned(),
            organisation: principal.organisation.clone(),
        }
    }

    /// The seeder and generators, which write without a token.
    pub fn system(what: &str) -> Self {
        Actor {
            subject: format!("system:{what}"),
            role: "system".to_owned(),
            organisation: None,
        }
    }
}

/// One changed field, as stored in the log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// Fields whose change is bookkeeping, not content.
const BOOKKEEPING: [&str; 4] = ["version", "updatedAt", "createdAt", "_links"];

/// Field-by-field difference of two JSON objects (the wire representation before and after).
pub fn diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !BOOKKEEPING.contains(&k.as_str()))
        .filter_map(|k| {
            let (o, n) = (
                old.get(k).unwrap_or(&Value::Null),
                new.get(k).unwrap_or(&Value::Null),
            );
            (o != n).then(|| FieldChange {
                field: k.clone(),
                old: o.clone(),
                new: n.clone(),
            })
        })
        .collect()
}

/// A change-log row of `actor`, made at `at`.
fn entry(
    actor: &Actor,
    at: &str,
    resource_type: &str,
    resource_id: &str,
    action: &str,
    fields: &[FieldChange],
) -> NewChangeRow {
    NewChangeRow {
        at: at.to_owned(),
        actor: actor.subject.clone(),
        actor_role: actor.role.clone(),
        resource_type: resource_type.to_owned(),
        resource_id: resource_id.to_owned(),
        action: action.to_owned(),
        fields: serde_json::to_string(fields).unwrap_or_else(|_| "[]".to_owned()),
        actor_organisation: actor.organisation.clone(),
    }
}

/// Appends one entry; call inside the transaction of the write it records.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    resource_type: &str,
    resource_id: &str,
    action: &str,
    fields: &[FieldChange],
) -> QueryResult<()> {
    let row = entry(actor, &now(), resource_type, resource_id, action, fields);
    diesel::insert_into(changes::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// Appends several entries at once, in order: `(resource_id, fields)` of one resource type and
/// action (a bulk import: one statement instead of one per entry).
pub fn record_many(
    conn: &mut DbConnection,
    actor: &Actor,
    resource_type: &str,
    action: &str,
    entries: &[(String, Vec<FieldChange>)],
) -> QueryResult<()> {
    let at = now();
    let rows: Vec<NewChangeRow> = entries
        .iter()
        .map(|(id, fields)| entry(actor, &at, resource_type, id, action, fields))
        .collect();
    // 1,000 rows of 8 columns stay below both engines' limit on bound parameters.
    for chunk in rows.chunks(1000) {
        super::insert_all!(conn, changes::table, chunk)?;
    }
    Ok(())
}

/// The entries of one resource, oldest first.
pub fn history(
    conn: &mut DbConnection,
    resource_type: &str,
    resource_id: &str,
) -> QueryResult<Vec<ChangeRow>> {
    changes::table
        .filter(changes::resource_type.eq(resource_type))
        .filter(changes::resource_id.eq(resource_id))
        .order(changes::seq.asc())
        .select(ChangeRow::as_select())
        .load(conn)
}

/// The newest sequence number of a change to one of `resource_types` (0 when there is none);
/// instances poll it to learn what other instances wrote.
/// One query per type, each answered from the end of the `changes_type_seq` index.
pub fn latest_seq(conn: &mut DbConnection, resource_types: &[&str]) -> QueryResult<i64> {
    let mut latest = 0;
    for resource_type in resource_types {
        let seq = changes::table
            .filter(changes::resource_type.eq(resource_type))
            .order(changes::seq.desc())
            .select(changes::seq)
            .first::<i64>(conn)
            .optional()?;
        latest = latest.max(seq.unwrap_or(0));
    }
    Ok(latest)
}

/// The resources of `resource_types` changed after `seq`, as `(seq, type, id)` in order;
/// at most `limit`.
pub fn since(
    conn: &mut DbConnection,
    seq: i64,
    resource_types: &[&str],
    limit: i64,
) -> QueryResult<Vec<(i64, String, String)>> {
    changes::table
        .filter(changes::seq.gt(seq))
        .filter(changes::resource_type.eq_any(resource_types))
        .order(changes::seq.asc())
        .limit(limit)
        .select((changes::seq, changes::resource_type, changes::resource_id))
        .load(conn)
}

/// The current time as stored: RFC 3339, UTC, whole microseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_added_and_removed_fields_but_not_bookkeeping() {
        let old = json!({"name": "A", "minAge": 4, "version": 1, "email": "a@b.nl"});
        let new = json!({"name": "B", "minAge": 4, "version": 2, "phone": "0164 123456"});
        let fields: Vec<String> = diff(&old, &new).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["email", "name", "phone"]);
    }
}

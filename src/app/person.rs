//! The person resource in the database: the row shape and the queries the handlers run.
//!
//! Every write is one statement or one transaction, so a failed request leaves nothing
//! half-written. Imports `app::query`, `app::validate` and `app::error` only.

use mysql_async::prelude::Queryable as _;
use mysql_async::{Pool, TxOpts, Value};
use serde::Serialize;

use crate::app::error::ApiError;
use crate::app::query::ListQuery;
use crate::app::validate::PersonChanges;

/// A stored person, as the API returns it. Dates are ISO 8601 strings; timestamps are UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Person {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

type Row = (
    u64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

const SELECT: &str = "SELECT id, first_name, last_name, email, phone, \
    DATE_FORMAT(date_of_birth, '%Y-%m-%d'), \
    DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), \
    DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM person";

fn from_row(row: Row) -> Person {
    let (id, first_name, last_name, email, phone, date_of_birth, created_at, updated_at) = row;
    Person {
        id,
        first_name,
        last_name,
        email,
        phone,
        date_of_birth,
        created_at,
        updated_at,
    }
}

/// One page of a list and the total number of matches.
pub async fn list(pool: &Pool, query: &ListQuery) -> Result<(u64, Vec<Person>), ApiError> {
    let (filter, params) = query.where_clause();
    let mut conn = pool.get_conn().await?;

    let count: Option<u64> = conn
        .exec_first(
            format!("SELECT COUNT(*) FROM person{filter}"),
            params.clone(),
        )
        .await?;
    let mut page_params: Vec<Value> = params.into_iter().map(Value::from).collect();
    page_params.push(query.page_size.into());
    page_params.push(query.offset().into());
    let rows: Vec<Row> = conn
        .exec(
            format!("{SELECT}{filter}{} LIMIT ? OFFSET ?", query.order_clause()),
            page_params,
        )
        .await?;

    Ok((count.unwrap_or(0), rows.into_iter().map(from_row).collect()))
}

/// The person with this id, if any.
pub async fn get(pool: &Pool, id: u64) -> Result<Option<Person>, ApiError> {
    let mut conn = pool.get_conn().await?;
    let row: Option<Row> = conn
        .exec_first(format!("{SELECT} WHERE id = ?"), (id,))
        .await?;
    Ok(row.map(from_row))
}

/// Stores a new person from validated full changes and returns it as stored.
pub async fn create(pool: &Pool, changes: &PersonChanges) -> Result<Person, ApiError> {
    let mut tx = pool.start_transaction(TxOpts::default()).await?;
    tx.exec_drop(
        "INSERT INTO person (first_name, last_name, email, phone, date_of_birth, created_at, \
         updated_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
        (
            &changes.first_name,
            &changes.last_name,
            changes.email.clone().flatten(),
            changes.phone.clone().flatten(),
            date(changes),
        ),
    )
    .await?;
    let id = tx
        .last_insert_id()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("insert into person returned no id")))?;
    let row: Option<Row> = tx
        .exec_first(format!("{SELECT} WHERE id = ?"), (id,))
        .await?;
    tx.commit().await?;

    row.map(from_row).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "person {id} vanished right after its insert"
        ))
    })
}

/// Applies validated changes to a person and returns it as stored; `None` for an unknown id.
///
/// `updated_at` moves even when the values did not change.
pub async fn update(
    pool: &Pool,
    id: u64,
    changes: &PersonChanges,
) -> Result<Option<Person>, ApiError> {
    let mut sets = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut set = |column: &str, value: Value| {
        sets.push(format!("{column} = ?"));
        params.push(value);
    };
    if let Some(first_name) = &changes.first_name {
        set("first_name", first_name.into());
    }
    if let Some(last_name) = &changes.last_name {
        set("last_name", last_name.into());
    }
    if let Some(email) = &changes.email {
        set("email", email.clone().into());
    }
    if let Some(phone) = &changes.phone {
        set("phone", phone.clone().into());
    }
    if changes.date_of_birth.is_some() {
        set("date_of_birth", date(changes).into());
    }
    sets.push("updated_at = UTC_TIMESTAMP(6)".to_owned());
    params.push(id.into());

    let mut tx = pool.start_transaction(TxOpts::default()).await?;
    let exists: Option<u64> = tx
        .exec_first("SELECT id FROM person WHERE id = ? FOR UPDATE", (id,))
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    tx.exec_drop(
        format!("UPDATE person SET {} WHERE id = ?", sets.join(", ")),
        params,
    )
    .await?;
    let row: Option<Row> = tx
        .exec_first(format!("{SELECT} WHERE id = ?"), (id,))
        .await?;
    tx.commit().await?;
    Ok(row.map(from_row))
}

/// Deletes a person; `false` for an unknown id.
pub async fn delete(pool: &Pool, id: u64) -> Result<bool, ApiError> {
    let mut conn = pool.get_conn().await?;
    conn.exec_drop("DELETE FROM person WHERE id = ?", (id,))
        .await?;
    Ok(conn.affected_rows() > 0)
}

fn date(changes: &PersonChanges) -> Option<String> {
    changes
        .date_of_birth
        .flatten()
        .map(|date| date.format("%Y-%m-%d").to_string())
}

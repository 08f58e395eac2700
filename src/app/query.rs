//! The list endpoint's query string: page, page size, search terms, ordering; and the page links
//! built from it.
//!
//! Pure parsing and SQL-fragment building: the SQL it emits only ever names whitelisted columns,
//! and every user value travels as a bound parameter. No HTTP, no database I/O.

use crate::app::validate::FieldErrors;

/// Page size when the client names none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page size; bigger requests are clamped to it.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The fields a list may be ordered by.
pub const ORDERING_FIELDS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "created_at",
    "updated_at",
];

/// A validated list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// 1-based page number.
    pub page: u64,
    pub page_size: u64,
    /// Whitespace-separated search terms; each must match a name or the email.
    pub search: Vec<String>,
    /// `(column, descending)`, from the whitelist; `id` is always the final tie-breaker.
    pub ordering: Vec<(&'static str, bool)>,
}

impl ListQuery {
    /// Parses the query string's pairs. Unknown parameters are ignored.
    ///
    /// `page` must be a positive integer, `page_size` a positive integer (clamped to
    /// [`MAX_PAGE_SIZE`]), `ordering` a comma-separated list of whitelisted fields, each
    /// optionally prefixed with `-` for descending.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut query = Self {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            search: Vec::new(),
            ordering: Vec::new(),
        };

        for (key, value) in pairs {
            match key.as_str() {
                "page" => match value.trim().parse::<u64>() {
                    Ok(page) if page >= 1 => query.page = page,
                    _ => push(
                        &mut errors,
                        "page",
                        "A page number must be a positive integer.",
                    ),
                },
                "page_size" => match value.trim().parse::<u64>() {
                    Ok(size) if size >= 1 => query.page_size = size.min(MAX_PAGE_SIZE),
                    _ => push(
                        &mut errors,
                        "page_size",
                        "Page size must be a positive integer.",
                    ),
                },
                "search" => {
                    query.search = value.split_whitespace().map(str::to_owned).collect();
                }
                "ordering" => match parse_ordering(value) {
                    Ok(ordering) => query.ordering = ordering,
                    Err(message) => push(&mut errors, "ordering", message),
                },
                _ => {}
            }
        }

        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.page_size)
    }

    /// The `WHERE` clause (empty or starting with ` WHERE`) and its bound parameters.
    pub fn where_clause(&self) -> (String, Vec<String>) {
        if self.search.is_empty() {
            return (String::new(), Vec::new());
        }
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        for term in &self.search {
            clauses.push("(first_name LIKE ? OR last_name LIKE ? OR email LIKE ?)");
            let pattern = format!("%{}%", escape_like(term));
            params.extend(std::iter::repeat_n(pattern, 3));
        }
        (format!(" WHERE {}", clauses.join(" AND ")), params)
    }

    /// The `ORDER BY` clause, always ending with `id` so pages are stable.
    pub fn order_clause(&self) -> String {
        let mut parts: Vec<String> = self
            .ordering
            .iter()
            .map(|(column, descending)| {
                format!("{column} {}", if *descending { "DESC" } else { "ASC" })
            })
            .collect();
        if !self.ordering.iter().any(|(column, _)| *column == "id") {
            parts.push("id ASC".to_owned());
        }
        format!(" ORDER BY {}", parts.join(", "))
    }

    /// The relative link to another page of the same list, or `None` when that page does not
    /// exist. `path` is the request's path; other parameters are kept as they were sent.
    pub fn page_link(
        &self,
        path: &str,
        pairs: &[(String, String)],
        count: u64,
        page: u64,
    ) -> Option<String> {
        let last = count.div_ceil(self.page_size).max(1);
        if page < 1 || page > last {
            return None;
        }
        let mut kept: Vec<(String, String)> = pairs
            .iter()
            .filter(|(key, _)| key != "page")
            .cloned()
            .collect();
        if page > 1 {
            kept.push(("page".to_owned(), page.to_string()));
        }
        if kept.is_empty() {
            return Some(path.to_owned());
        }
        Some(format!("{path}?{}", form_encode(&kept)))
    }
}

fn push(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(message.into());
}

fn parse_ordering(raw: &str) -> Result<Vec<(&'static str, bool)>, String> {
    let mut ordering = Vec::new();
    for item in raw
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let (name, descending) = match item.strip_prefix('-') {
            Some(name) => (name, true),
            None => (item, false),
        };
        let Some(column) = ORDERING_FIELDS.iter().find(|field| **field == name) else {
            return Err(format!(
                "Cannot order by '{name}'. Allowed: {}.",
                ORDERING_FIELDS.join(", ")
            ));
        };
        if ordering.iter().all(|(seen, _)| seen != column) {
            ordering.push((*column, descending));
        }
    }
    Ok(ordering)
}

/// `application/x-www-form-urlencoded` for a query string, through `url`'s encoder (reached
/// via reqwest's re-export so the app needs no extra dependency).
fn form_encode(pairs: &[(String, String)]) -> String {
    let mut url = reqwest::Url::parse("http://localhost/").expect("a constant URL parses");
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_owned()
}

/// Escapes `LIKE` wildcards so a search for `50%` finds that text literally.
pub fn escape_like(term: &str) -> String {
    let mut escaped = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests;

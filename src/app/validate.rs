//! Validation of a person sent by a client: which fields, which types, which values.
//!
//! Pure functions over `serde_json` values: no database, no HTTP. Uniqueness of the email is the
//! database's job (a unique key), not this module's.

use std::collections::BTreeMap;

use chrono::{Datelike as _, NaiveDate};
use serde_json::{Map, Value};

/// Field name → messages, the body of a 400 answer.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Longest first or last name, in characters after trimming.
pub const NAME_MAX: usize = 100;
/// Longest email address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Longest phone number, in characters after trimming.
pub const PHONE_MAX: usize = 32;

/// Whether every writable field must be present (POST, PUT) or only the ones sent (PATCH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Partial,
}

/// The validated changes to a person. `None` means "not sent" (PATCH only); for the optional
/// fields `Some(None)` means "clear it".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub date_of_birth: Option<Option<NaiveDate>>,
}

impl PersonChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Validates a request body against the person's rules.
///
/// `today` is the date that a birth date may not be after. Read-only fields (`id`,
/// `created_at`, `updated_at`) and unknown fields are ignored, as the original API did. In
/// [`Mode::Full`] an absent optional field is cleared. Every problem is reported, not only the
/// first.
pub fn person(body: &Value, mode: Mode, today: NaiveDate) -> Result<PersonChanges, FieldErrors> {
    let Some(object) = body.as_object() else {
        let mut errors = FieldErrors::new();
        errors.insert(
            "non_field_errors".to_owned(),
            vec!["Expected a JSON object with the person's fields.".to_owned()],
        );
        return Err(errors);
    };

    let mut errors = FieldErrors::new();
    let mut changes = PersonChanges {
        first_name: name(object, "first_name", mode, &mut errors),
        last_name: name(object, "last_name", mode, &mut errors),
        email: optional(object, "email", mode, &mut errors, email),
        phone: optional(object, "phone", mode, &mut errors, phone),
        date_of_birth: optional(object, "date_of_birth", mode, &mut errors, |raw| {
            date_of_birth(raw, today)
        }),
    };

    if errors.is_empty() {
        if mode == Mode::Full {
            changes.email.get_or_insert(None);
            changes.phone.get_or_insert(None);
            changes.date_of_birth.get_or_insert(None);
        }
        Ok(changes)
    } else {
        Err(errors)
    }
}

fn push(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(message.into());
}

fn name(
    object: &Map<String, Value>,
    field: &str,
    mode: Mode,
    errors: &mut FieldErrors,
) -> Option<String> {
    match object.get(field) {
        None if mode == Mode::Full => {
            push(errors, field, "This field is required.");
            None
        }
        None => None,
        Some(Value::Null) => {
            push(errors, field, "This field may not be null.");
            None
        }
        Some(Value::String(raw)) => {
            let trimmed = raw.trim();
            let length = trimmed.chars().count();
            if length == 0 {
                push(errors, field, "This field may not be blank.");
                None
            } else if length > NAME_MAX {
                push(
                    errors,
                    field,
                    format!("Ensure this field has no more than {NAME_MAX} characters."),
                );
                None
            } else {
                Some(trimmed.to_owned())
            }
        }
        Some(_) => {
            push(errors, field, "Not a valid string.");
            None
        }
    }
}

/// An optional text field: absent, `null` and blank all mean "no value".
fn optional<T>(
    object: &Map<String, Value>,
    field: &str,
    mode: Mode,
    errors: &mut FieldErrors,
    check: impl Fn(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    match object.get(field) {
        None if mode == Mode::Full => Some(None),
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(raw)) if raw.trim().is_empty() => Some(None),
        Some(Value::String(raw)) => match check(raw.trim()) {
            Ok(value) => Some(Some(value)),
            Err(message) => {
                push(errors, field, message);
                None
            }
        },
        Some(_) => {
            push(errors, field, "Not a valid string.");
            None
        }
    }
}

/// A practical email check: one `@`, a non-empty local part, a dotted domain of letters, digits
/// and hyphens, no spaces. The domain is lower-cased; uniqueness ignores case (the column's
/// collation).
pub fn email(raw: &str) -> Result<String, String> {
    const INVALID: &str = "Enter a valid email address.";

    if raw.chars().count() > EMAIL_MAX {
        return Err(format!(
            "Ensure this field has no more than {EMAIL_MAX} characters."
        ));
    }
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return Err(INVALID.to_owned());
    };

    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()));

    if local_ok && domain_ok {
        Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
    } else {
        Err(INVALID.to_owned())
    }
}

/// A phone number: digits with the usual separators, at least 3 digits.
pub fn phone(raw: &str) -> Result<String, String> {
    if raw.chars().count() > PHONE_MAX {
        return Err(format!(
            "Ensure this field has no more than {PHONE_MAX} characters."
        ));
    }
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    if !allowed || digits < 3 || raw[1..].contains('+') {
        return Err("Enter a valid phone number (digits, spaces, + - ( ) .).".to_owned());
    }
    Ok(raw.to_owned())
}

/// An ISO date (`YYYY-MM-DD`) that is not after `today`.
pub fn date_of_birth(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| "Date has wrong format. Use YYYY-MM-DD.".to_owned())?;
    if date > today {
        return Err("Date of birth cannot be in the future.".to_owned());
    }
    if date.year_ce().1 < 1000 {
        return Err("Date of birth must be after the year 1000.".to_owned());
    }
    Ok(date)
}

#[cfg(test)]
mod tests;

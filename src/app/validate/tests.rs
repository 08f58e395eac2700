use serde_json::json;

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 1).expect("a valid date")
}

fn messages(errors: &FieldErrors, field: &str) -> Vec<String> {
    errors.get(field).cloned().unwrap_or_default()
}

#[test]
fn full_person_with_only_names_clears_optional_fields() {
    let body = json!({ "first_name": "  Ada ", "last_name": "Lovelace" });
    let changes = person(&body, Mode::Full, today()).expect("valid");
    assert_eq!(changes.first_name.as_deref(), Some("Ada"));
    assert_eq!(changes.email, Some(None));
    assert_eq!(changes.phone, Some(None));
    assert_eq!(changes.date_of_birth, Some(None));
}

#[test]
fn full_person_without_names_reports_both_required() {
    let errors = person(&json!({}), Mode::Full, today()).unwrap_err();
    assert_eq!(messages(&errors, "first_name"), ["This field is required."]);
    assert_eq!(messages(&errors, "last_name"), ["This field is required."]);
}

#[test]
fn partial_person_leaves_unsent_fields_untouched() {
    let changes = person(
        &json!({ "phone": "+44 20 7946 0958" }),
        Mode::Partial,
        today(),
    )
    .expect("valid");
    assert_eq!(changes.first_name, None);
    assert_eq!(changes.email, None);
    assert_eq!(changes.phone, Some(Some("+44 20 7946 0958".to_owned())));
}

#[test]
fn names_blank_after_trimming_are_rejected() {
    let errors = person(
        &json!({ "first_name": "   ", "last_name": "" }),
        Mode::Full,
        today(),
    )
    .unwrap_err();
    assert_eq!(
        messages(&errors, "first_name"),
        ["This field may not be blank."]
    );
    assert_eq!(
        messages(&errors, "last_name"),
        ["This field may not be blank."]
    );
}

#[test]
fn names_of_100_characters_pass_and_101_fail() {
    let ok = "é".repeat(100);
    let long = "x".repeat(101);
    let body = json!({ "first_name": ok, "last_name": long });
    let errors = person(&body, Mode::Full, today()).unwrap_err();
    assert!(!errors.contains_key("first_name"));
    assert!(messages(&errors, "last_name")[0].contains("100 characters"));
}

#[test]
fn wrong_types_are_reported_per_field() {
    let body = json!({ "first_name": 7, "last_name": null, "email": true });
    let errors = person(&body, Mode::Full, today()).unwrap_err();
    assert_eq!(messages(&errors, "first_name"), ["Not a valid string."]);
    assert_eq!(
        messages(&errors, "last_name"),
        ["This field may not be null."]
    );
    assert_eq!(messages(&errors, "email"), ["Not a valid string."]);
}

#[test]
fn body_that_is_not_an_object_is_rejected() {
    let errors = person(&json!([1, 2]), Mode::Full, today()).unwrap_err();
    assert!(errors.contains_key("non_field_errors"));
}

#[test]
fn valid_emails_pass_and_domain_is_lowercased() {
    assert_eq!(
        email("Ada.L+x@Example.COM").as_deref(),
        Ok("Ada.L+x@example.com")
    );
    assert!(email("a@b.io").is_ok());
}

#[test]
fn invalid_emails_are_rejected() {
    for bad in [
        "plain",
        "@x.com",
        "a@",
        "a@b",
        "a b@c.com",
        "a@b..com",
        "a@-b.com",
        "a@b.c0m",
    ] {
        assert!(email(bad).is_err(), "{bad} should be rejected");
    }
}

#[test]
fn blank_or_null_optional_fields_mean_no_value() {
    let body = json!({ "first_name": "A", "last_name": "B", "email": "", "phone": null });
    let changes = person(&body, Mode::Full, today()).expect("valid");
    assert_eq!(changes.email, Some(None));
    assert_eq!(changes.phone, Some(None));
}

#[test]
fn phone_numbers_need_digits_and_usual_separators() {
    assert!(phone("(020) 7946-0958").is_ok());
    assert!(phone("call me").is_err());
    assert!(phone("12").is_err());
    assert!(phone("12+34").is_err());
    assert!(phone(&"1".repeat(33)).is_err());
}

#[test]
fn birth_date_today_passes_and_tomorrow_fails() {
    assert_eq!(date_of_birth("2024-06-01", today()), Ok(today()));
    let err = date_of_birth("2024-06-02", today()).unwrap_err();
    assert!(err.contains("future"));
}

#[test]
fn birth_dates_not_in_iso_format_are_rejected() {
    for bad in [
        "01/06/2020",
        "2020-6-1",
        "2020-02-30",
        "yesterday",
        "2020-01-01T00:00:00",
    ] {
        assert!(
            date_of_birth(bad, today()).is_err(),
            "{bad} should be rejected"
        );
    }
}

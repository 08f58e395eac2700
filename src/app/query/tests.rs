use super::*;

fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
    raw.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn empty_query_gives_first_page_of_twenty_ordered_by_id() {
    let query = ListQuery::parse(&[]).expect("valid");
    assert_eq!((query.page, query.page_size, query.offset()), (1, 20, 0));
    assert_eq!(query.order_clause(), " ORDER BY id ASC");
    assert_eq!(query.where_clause(), (String::new(), Vec::new()));
}

#[test]
fn page_size_over_the_maximum_is_clamped_to_100() {
    let query = ListQuery::parse(&pairs(&[("page_size", "1000"), ("page", "3")])).expect("ok");
    assert_eq!((query.page_size, query.offset()), (100, 200));
}

#[test]
fn page_zero_or_text_is_a_field_error() {
    for bad in ["0", "-1", "two", ""] {
        let errors = ListQuery::parse(&pairs(&[("page", bad)])).unwrap_err();
        assert!(errors.contains_key("page"), "page={bad}");
    }
    let errors = ListQuery::parse(&pairs(&[("page_size", "0")])).unwrap_err();
    assert!(errors.contains_key("page_size"));
}

#[test]
fn ordering_accepts_whitelisted_fields_with_direction() {
    let query = ListQuery::parse(&pairs(&[("ordering", "-last_name, first_name")])).expect("ok");
    assert_eq!(
        query.order_clause(),
        " ORDER BY last_name DESC, first_name ASC, id ASC"
    );
    let query = ListQuery::parse(&pairs(&[("ordering", "-id")])).expect("ok");
    assert_eq!(query.order_clause(), " ORDER BY id DESC");
}

#[test]
fn ordering_by_an_unlisted_field_or_sql_is_rejected() {
    for bad in [
        "password",
        "id; DROP TABLE person",
        "first_name DESC",
        "--id",
    ] {
        let errors = ListQuery::parse(&pairs(&[("ordering", bad)])).unwrap_err();
        assert!(
            errors["ordering"][0].contains("Cannot order by"),
            "ordering={bad}"
        );
    }
}

#[test]
fn search_terms_each_match_names_or_email_as_bound_parameters() {
    let query = ListQuery::parse(&pairs(&[("search", " ada  love ")])).expect("ok");
    let (clause, params) = query.where_clause();
    assert_eq!(clause.matches("LIKE ?").count(), 6);
    assert!(clause.contains(") AND ("));
    assert_eq!(
        params,
        ["%ada%", "%ada%", "%ada%", "%love%", "%love%", "%love%"]
    );
}

#[test]
fn search_escapes_like_wildcards() {
    assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
}

#[test]
fn page_links_keep_other_parameters_and_stop_at_the_ends() {
    let raw = pairs(&[("search", "a b"), ("page", "2"), ("page_size", "10")]);
    let query = ListQuery::parse(&raw).expect("ok");
    let path = "/api/persons/";
    assert_eq!(
        query.page_link(path, &raw, 25, 3).as_deref(),
        Some("/api/persons/?search=a+b&page_size=10&page=3")
    );
    assert_eq!(
        query.page_link(path, &raw, 25, 1).as_deref(),
        Some("/api/persons/?search=a+b&page_size=10")
    );
    assert_eq!(query.page_link(path, &raw, 25, 4), None);
    assert_eq!(query.page_link(path, &raw, 25, 0), None);
}

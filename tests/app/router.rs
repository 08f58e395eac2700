//! The router without a socket and without a database: error shapes, health, metrics.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{api_router, send, unreachable_pool};

#[tokio::test]
async fn malformed_json_is_a_json_400_naming_the_problem() {
    let app = api_router(unreachable_pool());
    for body in ["{", "not json", "", "{\"first_name\": }"] {
        let (status, value) = send(&app, "POST", "/api/persons/", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "body {body:?}");
        let detail = value["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with("Malformed JSON"),
            "body {body:?} gave {value}"
        );
    }
}

#[tokio::test]
async fn body_over_64_kib_is_a_json_413() {
    let app = api_router(unreachable_pool());
    let big = format!(
        r#"{{"first_name": "{}", "last_name": "x"}}"#,
        "a".repeat(70 * 1024)
    );
    let (status, value) = send(&app, "POST", "/api/persons/", Some(&big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        value["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("65536")
    );
    let (status, _) = send(&app, "PATCH", "/api/persons/1/", Some(&big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn invalid_person_is_a_400_with_messages_per_field() {
    let app = api_router(unreachable_pool());
    let body = json!({
        "first_name": " ",
        "email": "not-an-email",
        "date_of_birth": "2999-01-01",
    });
    let (status, value) = send(&app, "POST", "/api/persons", Some(&body.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(value["first_name"], json!(["This field may not be blank."]));
    assert_eq!(value["last_name"], json!(["This field is required."]));
    assert_eq!(value["email"], json!(["Enter a valid email address."]));
    assert_eq!(
        value["date_of_birth"],
        json!(["Date of birth cannot be in the future."])
    );
}

#[tokio::test]
async fn id_that_is_not_a_number_is_a_json_404() {
    let app = api_router(unreachable_pool());
    for uri in [
        "/api/persons/abc/",
        "/api/persons/-1",
        "/api/persons/0",
        "/api/persons/+5",
    ] {
        let (status, value) = send(&app, "GET", uri, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(value["detail"].is_string(), "{uri} gave {value}");
    }
}

#[tokio::test]
async fn unknown_api_path_is_a_json_404_and_wrong_method_a_json_405() {
    let app = api_router(unreachable_pool());
    let (status, value) = send(&app, "GET", "/api/nothing/here", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(value, json!({ "detail": "Not found." }));

    let (status, value) = send(&app, "DELETE", "/api/persons/", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(value, json!({ "detail": "Method not allowed." }));
}

#[tokio::test]
async fn bad_list_parameters_are_a_400_per_parameter() {
    let app = api_router(unreachable_pool());
    let (status, value) = send(&app, "GET", "/api/persons/?page=0&ordering=password", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(value["page"].is_array());
    assert!(
        value["ordering"][0]
            .as_str()
            .unwrap_or_default()
            .contains("Cannot order by")
    );
}

#[tokio::test]
async fn health_is_200_while_ready_is_503_with_a_reason_when_the_database_is_down() {
    let app = api_router(unreachable_pool());
    let (status, value) = send(&app, "GET", "/api/health", None).await;
    assert_eq!((status, value), (StatusCode::OK, json!({ "status": "ok" })));

    let (status, value) = send(&app, "GET", "/api/ready/", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(value["status"], "unavailable");
    assert!(
        value["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("database"),
        "{value}"
    );
}

#[tokio::test]
async fn database_down_during_a_request_is_a_503_not_a_500() {
    let app = api_router(unreachable_pool());
    let (status, value) = send(&app, "GET", "/api/persons/", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{value}");
}

#[tokio::test]
async fn metrics_count_requests_by_matched_route_and_status() {
    let app = api_router(unreachable_pool());
    send(&app, "GET", "/api/persons/41/", None).await;
    send(&app, "GET", "/api/persons/abc", None).await;
    send(&app, "GET", "/healthz", None).await;

    let (status, value) = send(&app, "GET", "/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    let text = value.as_str().expect("metrics are text");
    assert!(
        text.contains(r#"route="/api/persons/{id}",status="404"} 1"#)
            && text.contains(r#"route="/api/persons/{id}",status="503"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="/healthz",status="200"} 1"#));
    assert!(!text.contains("/api/persons/41"));
    assert!(text.contains("capstan_db_pool_connections_in_use"));
}

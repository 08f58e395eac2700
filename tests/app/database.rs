//! Round trips against the real MariaDB test server: CRUD, conflicts, nothing half-written,
//! lists, migrations under concurrency, readiness, and the start-up wait.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use capstan::app::db::{self, DbError};
use capstan::app::{Secret, migrate, prepare_database};
use mysql_async::prelude::Queryable as _;
use serde_json::{Value, json};

use crate::support::{api_router, db_config, drop_database, send};

#[tokio::test]
async fn person_round_trip_create_get_update_patch_delete() {
    let config = db_config("crud");
    let pool = prepare_database(&config).await.expect("database prepared");
    let app = api_router(pool);

    let body = json!({
        "first_name": " Grace ", "last_name": "Hopper", "email": "grace@navy.example",
        "phone": "+1 555 0100", "date_of_birth": "1906-12-09", "id": 999,
    });
    let (status, created) = send(&app, "POST", "/api/persons/", Some(&body.to_string())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"]
        .as_u64()
        .expect("the created person has an id");
    assert_ne!(id, 999, "id is set by the server");
    assert_eq!(created["first_name"], "Grace");
    assert_eq!(created["date_of_birth"], "1906-12-09");
    assert!(
        created["created_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );

    let (status, fetched) = send(&app, "GET", &format!("/api/persons/{id}"), None).await;
    assert_eq!((status, &fetched), (StatusCode::OK, &created));

    let put = json!({ "first_name": "Grace B.", "last_name": "Hopper" });
    let (status, replaced) = send(
        &app,
        "PUT",
        &format!("/api/persons/{id}/"),
        Some(&put.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["first_name"], "Grace B.");
    assert_eq!(
        replaced["email"],
        Value::Null,
        "PUT clears fields it does not send"
    );
    assert_eq!(replaced["created_at"], created["created_at"]);
    assert_ne!(replaced["updated_at"], created["updated_at"]);

    let patch = json!({ "email": "amazing.grace@navy.example" });
    let (status, patched) = send(
        &app,
        "PATCH",
        &format!("/api/persons/{id}"),
        Some(&patch.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["email"], "amazing.grace@navy.example");
    assert_eq!(
        patched["first_name"], "Grace B.",
        "PATCH keeps fields it does not send"
    );

    let (_, metrics) = send(&app, "GET", "/metrics", None).await;
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    let open = metrics
        .lines()
        .find_map(|line| line.strip_prefix("capstan_db_pool_connections "))
        .and_then(|value| value.trim().parse::<f64>().ok());
    assert!(
        open.is_some_and(|open| open >= 1.0),
        "pool gauges read the pool:\n{metrics}"
    );

    let (status, body) = send(&app, "DELETE", &format!("/api/persons/{id}/"), None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _) = send(&app, "GET", &format!("/api/persons/{id}/"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    drop_database(&config).await;
}

#[tokio::test]
async fn unknown_id_is_a_404_for_every_method() {
    let config = db_config("unknown");
    let app = api_router(prepare_database(&config).await.expect("database prepared"));
    let body = json!({ "first_name": "A", "last_name": "B" }).to_string();
    for method in ["GET", "PUT", "PATCH", "DELETE"] {
        let (status, value) = send(&app, method, "/api/persons/424242/", Some(&body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(value["detail"], "No person with id 424242.", "{method}");
    }
    drop_database(&config).await;
}

#[tokio::test]
async fn duplicate_email_is_a_409_and_writes_nothing() {
    let config = db_config("dup");
    let app = api_router(prepare_database(&config).await.expect("database prepared"));
    let ada = json!({ "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com" });
    let (status, first) = send(&app, "POST", "/api/persons/", Some(&ada.to_string())).await;
    assert_eq!(status, StatusCode::CREATED);

    // The same address in another case is the same address.
    let copy = json!({ "first_name": "Copy", "last_name": "Cat", "email": "ADA@example.com" });
    let (status, value) = send(&app, "POST", "/api/persons/", Some(&copy.to_string())).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        value,
        json!({ "email": ["A person with this email already exists."] })
    );

    let bob = json!({ "first_name": "Bob", "last_name": "B", "email": "bob@example.com" });
    let (_, bob) = send(&app, "POST", "/api/persons/", Some(&bob.to_string())).await;
    let steal = json!({ "first_name": "Robert", "last_name": "B", "email": "ada@example.com" });
    let uri = format!("/api/persons/{}/", bob["id"]);
    let (status, _) = send(&app, "PUT", &uri, Some(&steal.to_string())).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, unchanged) = send(&app, "GET", &uri, None).await;
    assert_eq!(
        unchanged, bob,
        "a refused update changes nothing, not even the name"
    );
    let (_, list) = send(&app, "GET", "/api/persons/", None).await;
    assert_eq!(list["count"], 2);
    assert_eq!(list["results"][0], first);
    drop_database(&config).await;
}

#[tokio::test]
async fn invalid_patch_changes_none_of_the_valid_fields_it_carried() {
    let config = db_config("half");
    let app = api_router(prepare_database(&config).await.expect("database prepared"));
    let body = json!({ "first_name": "Alan", "last_name": "Turing" }).to_string();
    let (_, alan) = send(&app, "POST", "/api/persons", Some(&body)).await;
    let uri = format!("/api/persons/{}", alan["id"]);

    let patch = json!({ "first_name": "Changed", "date_of_birth": "1912-13-45" });
    let (status, errors) = send(&app, "PATCH", &uri, Some(&patch.to_string())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(errors["date_of_birth"].is_array());

    let (_, after) = send(&app, "GET", &uri, None).await;
    assert_eq!(after, alan);
    drop_database(&config).await;
}

#[tokio::test]
async fn lists_paginate_search_and_order() {
    let config = db_config("list");
    let app = api_router(prepare_database(&config).await.expect("database prepared"));
    for n in 0..25 {
        let last = if n % 5 == 0 {
            format!("Smith{n:02}")
        } else {
            format!("Jones{n:02}")
        };
        let body = json!({ "first_name": format!("P{n:02}"), "last_name": last,
                           "email": format!("p{n}@example.com") });
        let (status, _) = send(&app, "POST", "/api/persons/", Some(&body.to_string())).await;
        assert_eq!(status, StatusCode::CREATED);
    }

    let (_, page1) = send(&app, "GET", "/api/persons/", None).await;
    assert_eq!(page1["count"], 25);
    assert_eq!(page1["results"].as_array().map(Vec::len), Some(20));
    assert_eq!(page1["previous"], Value::Null);
    assert_eq!(page1["next"], "/api/persons/?page=2");

    let (_, page2) = send(&app, "GET", "/api/persons/?page=2", None).await;
    assert_eq!(page2["results"].as_array().map(Vec::len), Some(5));
    assert_eq!(page2["next"], Value::Null);
    assert_eq!(page2["previous"], "/api/persons/");

    let (status, _) = send(&app, "GET", "/api/persons/?page=3", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, smiths) = send(
        &app,
        "GET",
        "/api/persons/?search=smith&ordering=-last_name&page_size=2",
        None,
    )
    .await;
    assert_eq!(smiths["count"], 5);
    let names: Vec<&str> = smiths["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|person| person["last_name"].as_str())
        .collect();
    assert_eq!(names, ["Smith20", "Smith15"]);
    assert_eq!(
        smiths["next"],
        "/api/persons/?search=smith&ordering=-last_name&page_size=2&page=2"
    );

    let (_, by_email) = send(&app, "GET", "/api/persons?search=p7%40example", None).await;
    assert_eq!(by_email["count"], 1);
    let (_, none) = send(&app, "GET", "/api/persons/?search=%25", None).await;
    assert_eq!(
        none["count"], 0,
        "a % in the search is literal, not a wildcard"
    );
    drop_database(&config).await;
}

#[tokio::test]
async fn migrations_apply_once_when_two_instances_start_together() {
    let config = db_config("twice");
    let (first, second) = tokio::join!(prepare_database(&config), prepare_database(&config));
    let pool = first.expect("first instance started");
    second.expect("second instance started");

    let mut conn = pool.get_conn().await.expect("connect");
    let rows: Vec<(u32, String)> = conn
        .query("SELECT version, name FROM schema_migrations ORDER BY version")
        .await
        .expect("schema table exists");
    let expected: Vec<(u32, String)> = migrate::MIGRATIONS
        .iter()
        .map(|migration| (migration.version, migration.name.to_owned()))
        .collect();
    assert_eq!(rows, expected);

    let again = migrate::apply(&pool, &config.database)
        .await
        .expect("re-run is fine");
    assert_eq!(again, 0, "a third start applies nothing");
    drop(conn);
    drop_database(&config).await;
}

#[tokio::test]
async fn ready_is_503_before_migrations_and_200_after() {
    let config = db_config("ready");
    db::wait_and_create(&config)
        .await
        .expect("database created");
    let pool = db::pool(&config);
    let app = api_router(pool.clone());

    let (status, value) = send(&app, "GET", "/api/ready", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(value["reason"], "schema not migrated yet");

    migrate::apply(&pool, &config.database)
        .await
        .expect("migrated");
    let (status, value) = send(&app, "GET", "/api/ready", None).await;
    assert_eq!(status, StatusCode::OK, "{value}");
    assert_eq!(value["schema_version"], migrate::latest_version());
    drop_database(&config).await;
}

#[tokio::test]
async fn startup_survives_the_database_accepting_connections_late() {
    let mut config = db_config("late");
    let upstream = format!("{}:{}", config.host, config.port);
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    config.port = probe.local_addr().expect("address").port();
    config.host = "127.0.0.1".to_owned();
    drop(probe);

    // The "database" starts listening 1.5 s after the app starts waiting for it.
    let port = config.port;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("rebind");
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });

    let started = Instant::now();
    let pool = prepare_database(&config)
        .await
        .expect("start-up waited for the database");
    assert!(started.elapsed() >= Duration::from_millis(1400));
    let app = api_router(pool);
    let (status, _) = send(&app, "GET", "/api/ready", None).await;
    assert_eq!(status, StatusCode::OK);
    drop_database(&config).await;
}

#[tokio::test]
async fn startup_gives_up_after_its_wait_with_an_error_naming_the_target_not_the_password() {
    let mut config = db_config("never");
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    config.port = probe.local_addr().expect("address").port();
    drop(probe);
    config.password = Secret::new("do-not-print-me");
    config.wait = Duration::from_secs(1);

    let started = Instant::now();
    let err = db::wait_and_create(&config)
        .await
        .expect_err("nothing listens there");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the wait is bounded"
    );
    assert!(
        matches!(err, DbError::Unreachable { attempts, .. } if attempts >= 3),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{}", config.port)),
        "{message}"
    );
    assert!(message.contains("not reachable after"), "{message}");
    assert!(!message.contains("do-not-print-me"));
}

#[tokio::test]
async fn wrong_password_fails_at_once_without_retrying() {
    let mut config = db_config("denied");
    config.password = Secret::new("wrong-password");
    let started = Instant::now();
    let err = db::wait_and_create(&config)
        .await
        .expect_err("credentials are wrong");
    assert!(matches!(err, DbError::AccessDenied { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!err.to_string().contains("wrong-password"));
}

#[tokio::test]
async fn newer_schema_is_used_after_a_rollback_but_an_edited_migration_is_refused() {
    let config = db_config("drift");
    let pool = prepare_database(&config).await.expect("database prepared");
    let mut conn = pool.get_conn().await.expect("connect");

    // A newer binary migrated this database to version 999, then was rolled back.
    conn.query_drop(
        "INSERT INTO schema_migrations VALUES (999, 'future', REPEAT('0', 64), UTC_TIMESTAMP(6))",
    )
    .await
    .expect("insert a future version");
    let applied = migrate::apply(&pool, &config.database)
        .await
        .expect("newer schema accepted");
    assert_eq!(applied, 0);
    let (status, _) = send(&api_router(pool.clone()), "GET", "/api/ready", None).await;
    assert_eq!(status, StatusCode::OK);

    // Someone edited migration 1 after it ran.
    conn.query_drop("UPDATE schema_migrations SET checksum = REPEAT('f', 64) WHERE version = 1")
        .await
        .expect("tamper with the checksum");
    let err = migrate::apply(&pool, &config.database)
        .await
        .expect_err("edited migration");
    assert!(
        matches!(err, migrate::MigrateError::Changed { version: 1, .. }),
        "{err}"
    );
    drop(conn);
    drop_database(&config).await;
}

#[tokio::test]
async fn user_without_create_database_rights_starts_when_its_database_exists() {
    let admin = db_config("limited");
    db::wait_and_create(&admin)
        .await
        .expect("admin creates the database");
    let user = format!("capstan_lim_{:08x}", rand::random::<u32>());
    let mut conn = mysql_async::Conn::new(db::opts(&admin, false))
        .await
        .expect("connect");
    conn.query_drop(format!(
        "CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY 'limited-pw'; \
         GRANT SELECT ON `{}`.* TO '{user}'@'127.0.0.1'",
        admin.database
    ))
    .await
    .expect("create a limited user");

    let mut limited = admin.clone();
    limited.user = user.clone();
    limited.password = Secret::new("limited-pw");
    db::wait_and_create(&limited)
        .await
        .expect("the existing database is enough");

    limited.database = format!("{}_missing", admin.database);
    let err = db::wait_and_create(&limited)
        .await
        .expect_err("cannot create a missing database");
    assert!(matches!(err, DbError::Query { .. }), "{err}");
    assert!(err.to_string().contains(&limited.describe()), "{err}");

    conn.query_drop(format!("DROP USER '{user}'@'127.0.0.1'"))
        .await
        .expect("drop the user");
    drop(conn);
    drop_database(&admin).await;
}

use super::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/stack/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("fixture {path}: {err}"))
}

fn parse_fixture(name: &str) -> Result<StackSpec, SpecError> {
    parse(name, &fixture(name))
}

#[test]
fn embedded_default_stack_parses_and_starts_db_then_api_then_frontend() {
    let spec = parse("embedded", DEFAULT_STACK).unwrap();

    assert_eq!(spec.name, "person");
    assert_eq!(order(&spec).unwrap(), ["db", "api", "frontend"]);
    let published: Vec<_> = spec
        .services
        .iter()
        .filter(|(_, s)| s.publish.is_some())
        .collect();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].0, "frontend");
}

#[test]
fn embedded_default_stack_passes_no_password_in_the_environment() {
    let spec = parse("embedded", DEFAULT_STACK).unwrap();

    for (name, service) in &spec.services {
        for key in service.env.keys() {
            assert!(
                !key.contains("PASSWORD") || key.ends_with("_FILE"),
                "{name}: {key}"
            );
        }
    }
}

#[test]
fn minimal_valid_file_parses() {
    let spec = parse_fixture("valid-minimal.toml").unwrap();

    let web = &spec.services["web"];
    assert_eq!(
        web.publish,
        Some(Publish {
            container: 80,
            host: 18080
        })
    );
    assert_eq!(web.stop_grace_secs, 10);
}

#[test]
fn unknown_key_is_rejected_naming_the_file_and_the_key() {
    let err = parse_fixture("unknown-key.toml").unwrap_err().to_string();

    assert!(err.contains("unknown-key.toml"), "{err}");
    assert!(err.contains("unknown field `restart`"), "{err}");
}

#[test]
fn malformed_toml_is_rejected_naming_the_file_and_line() {
    let err = parse_fixture("bad-toml.toml").unwrap_err().to_string();

    assert!(err.contains("bad-toml.toml"), "{err}");
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn unknown_dependency_names_both_services() {
    let err = parse_fixture("unknown-dependency.toml").unwrap_err();

    assert_eq!(
        err,
        SpecError::UnknownDependency {
            file: "unknown-dependency.toml".into(),
            service: "api".into(),
            missing: "cache".into(),
        }
    );
}

#[test]
fn dependency_cycle_names_every_service_in_it() {
    let err = parse_fixture("cycle.toml").unwrap_err();

    let SpecError::Cycle { cycle, .. } = &err else {
        panic!("not a cycle: {err}")
    };
    assert_eq!(cycle.first(), cycle.last());
    for name in ["a", "b", "c"] {
        assert!(cycle.iter().any(|s| s == name), "{err}");
    }
    assert!(err.to_string().contains("->"), "{err}");
}

#[test]
fn password_in_plain_env_is_rejected() {
    let err = parse_fixture("password-in-env.toml")
        .unwrap_err()
        .to_string();

    assert!(err.contains("service `db`"), "{err}");
    assert!(err.contains("MARIADB_PASSWORD"), "{err}");
}

#[test]
fn service_with_image_and_build_is_rejected() {
    let err = parse_fixture("image-and-build.toml")
        .unwrap_err()
        .to_string();

    assert!(
        err.contains("service `api`: names both `image` and `build`"),
        "{err}"
    );
}

#[test]
fn order_puts_independent_services_by_name_and_dependents_after() {
    let text = r#"
        name = "demo"
        [services.z]
        image = "x"
        depends_on = ["m"]
        ready = { http = { port = 1, paths = ["/"] }, timeout_secs = 1 }
        [services.m]
        image = "x"
        ready = { http = { port = 1, paths = ["/"] }, timeout_secs = 1 }
        [services.a]
        image = "x"
        depends_on = ["z"]
        ready = { http = { port = 1, paths = ["/"] }, timeout_secs = 1 }
        [services.b]
        image = "x"
        ready = { http = { port = 1, paths = ["/"] }, timeout_secs = 1 }
    "#;
    let spec = parse("inline", text).unwrap();

    assert_eq!(order(&spec).unwrap(), ["b", "m", "z", "a"]);
}

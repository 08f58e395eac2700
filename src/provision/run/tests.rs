//! The runner against this machine through [`LocalShell`]: handler semantics, check mode,
//! masking, config-test restore. Runs as root (the test machine's user).

use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::provision::LocalShell;

fn playbook(dir: &std::path::Path, text: &str) -> Playbook {
    let text = text.replace("DIR", dir.to_str().unwrap());
    Playbook::parse(
        "test.toml",
        &text,
        Some("test".into()),
        vec![dir.join("templates")],
    )
    .unwrap()
}

fn plain(playbook: &Playbook) -> Values {
    Values::resolve(playbook, &RunOptions::default()).unwrap()
}

async fn run(playbook: &Playbook, values: &Values, check: bool) -> RunReport {
    run_playbook(&LocalShell::new("local"), playbook, values, check, |_| {}).await
}

fn outcomes(report: &RunReport) -> Vec<(String, Outcome)> {
    report
        .results
        .iter()
        .map(|r| (r.step.clone(), r.outcome))
        .collect()
}

const HANDLERS: &str = r#"
[[steps]]
name = "first change"
notify = "h"
command = { run = "echo one >> DIR/log" }

[[steps]]
name = "second change"
notify = "h"
command = { run = "echo two >> DIR/log" }

[[steps]]
name = "breaks"
command = { run = "echo broken >&2; exit 3" }

[[steps]]
name = "never runs"
command = { run = "echo never >> DIR/log" }

[[handlers]]
name = "unwanted"
command = { run = "echo unwanted >> DIR/log" }

[[handlers]]
name = "h"
command = { run = "echo handler >> DIR/log" }
"#;

#[tokio::test]
async fn handler_notified_twice_runs_once_after_a_later_step_fails() {
    let dir = tempfile::tempdir().unwrap();
    let playbook = playbook(dir.path(), HANDLERS);

    let report = run(&playbook, &plain(&playbook), false).await;

    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert_eq!(log, "one\ntwo\nhandler\n");
    assert_eq!(
        outcomes(&report)[1..],
        [
            ("first change".to_string(), Outcome::Changed),
            ("second change".to_string(), Outcome::Changed),
            ("breaks".to_string(), Outcome::Failed),
            ("h".to_string(), Outcome::Changed),
        ]
    );
    assert!(report.results.last().unwrap().handler);
    assert!(
        report.results[3]
            .detail
            .as_deref()
            .unwrap()
            .contains("broken")
    );
    assert!(report.failed());
}

#[tokio::test]
async fn check_mode_runs_nothing_and_reports_the_handler_that_would_run() {
    let dir = tempfile::tempdir().unwrap();
    let playbook = playbook(dir.path(), HANDLERS);

    let report = run(&playbook, &plain(&playbook), true).await;

    assert!(!dir.path().join("log").exists());
    let last = report.results.last().unwrap();
    assert_eq!((last.step.as_str(), last.outcome), ("h", Outcome::Changed));
    assert!(last.detail.as_deref().unwrap().starts_with("would run"));
}

#[tokio::test]
async fn handler_not_notified_by_an_unchanged_step_does_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[[steps]]
name = "guarded"
notify = "h"
command = { run = "echo ran >> DIR/log", creates = "DIR" }

[[handlers]]
name = "h"
command = { run = "echo handler >> DIR/log" }
"#;
    let playbook = playbook(dir.path(), text);

    let report = run(&playbook, &plain(&playbook), false).await;

    assert!(!dir.path().join("log").exists());
    assert_eq!(
        outcomes(&report)[1..],
        [("guarded".to_string(), Outcome::Ok)]
    );
}

#[tokio::test]
async fn file_step_changes_once_then_reports_ok() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[vars]
port = 8080

[[steps]]
name = "config"
file = { dest = "DIR/app.conf", content = "port {{ port }}\n", mode = "0640" }
"#;
    let playbook = playbook(dir.path(), text);
    let values = plain(&playbook);

    let first = run(&playbook, &values, false).await;
    let second = run(&playbook, &values, false).await;

    assert_eq!(
        first.results[1].outcome,
        Outcome::Changed,
        "{:?}",
        first.results[1]
    );
    assert_eq!(
        second.results[1].outcome,
        Outcome::Ok,
        "{:?}",
        second.results[1]
    );
    let path = dir.path().join("app.conf");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "port 8080\n");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[tokio::test]
async fn secret_is_masked_in_the_check_mode_diff_and_detail() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("token");
    std::fs::write(&secret_file, "tok-3f9a77-secret\n").unwrap();
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = r#"
[secrets]
token = { file = "DIR/token" }

[[steps]]
name = "config"
file = { dest = "DIR/app.conf", content = "token {{ token }}\n" }

[[steps]]
name = "echoes it"
command = { run = "echo {{ token }}; exit 1", changes = false }
"#;
    let playbook = playbook(dir.path(), text);
    let values = plain(&playbook);

    let report = run(&playbook, &values, true).await;

    let all = serde_json::to_string(&report).unwrap();
    assert!(!all.contains("tok-3f9a77-secret"), "{all}");
    let diff = report.results[1].diff.as_deref().unwrap();
    assert!(diff.contains("+token ********"), "{diff}");
    assert!(
        report.results[2]
            .detail
            .as_deref()
            .unwrap()
            .contains("********")
    );
    assert!(!dir.path().join("app.conf").exists());
}

#[tokio::test]
async fn secret_file_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("token");
    std::fs::write(&secret_file, "x").unwrap();
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let playbook = playbook(
        dir.path(),
        concat!(
            "[secrets]\ntoken = { file = \"DIR/token\" }\n",
            "[[steps]]\nname = \"c\"\ncommand = { run = \"true\" }\n"
        ),
    );

    let err = Values::resolve(&playbook, &RunOptions::default()).unwrap_err();
    assert!(format!("{err:#}").contains("must be 0600"), "{err:#}");
}

#[tokio::test]
async fn refused_config_puts_the_previous_file_back() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("site.conf");
    std::fs::write(&conf, "good\n").unwrap();
    let text = r#"
[[steps]]
name = "config"
notify = "restart"
[steps.file]
dest = "DIR/site.conf"
content = "bad\n"
validate = "grep -q good DIR/site.conf || { echo 'Syntax error on line 1' >&2; exit 1; }"

[[handlers]]
name = "restart"
command = { run = "echo restarted >> DIR/log" }
"#;
    let playbook = playbook(dir.path(), text);

    let report = run(&playbook, &plain(&playbook), false).await;

    assert_eq!(std::fs::read_to_string(&conf).unwrap(), "good\n");
    let step = &report.results[1];
    assert_eq!(step.outcome, Outcome::Failed);
    let detail = step.detail.as_deref().unwrap();
    assert!(detail.contains("Syntax error on line 1"), "{detail}");
    assert!(detail.contains("put the previous file back"), "{detail}");
    assert!(
        !dir.path().join("log").exists(),
        "the server must not be restarted"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary or backup file is left: {leftovers:?}"
    );
}

#[tokio::test]
async fn refused_new_config_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[[steps]]
name = "config"
file = { dest = "DIR/new.conf", content = "bad\n", validate = "false" }
"#;
    let playbook = playbook(dir.path(), text);

    let report = run(&playbook, &plain(&playbook), false).await;

    assert_eq!(report.results[1].outcome, Outcome::Failed);
    assert!(!dir.path().join("new.conf").exists());
}

#[tokio::test]
async fn when_refusal_skips_the_step_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[[steps]]
name = "only on windows"
when.os_family = "windows"
command = { run = "echo ran >> DIR/log" }
"#;
    let playbook = playbook(dir.path(), text);

    let report = run(&playbook, &plain(&playbook), false).await;

    let step = &report.results[1];
    assert_eq!(step.outcome, Outcome::Skipped);
    assert!(step.detail.as_deref().unwrap().contains("not windows"));
    assert!(!dir.path().join("log").exists());
}

#[tokio::test]
async fn undefined_variable_fails_the_step_naming_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[[steps]]
name = "config"
file = { dest = "DIR/x.conf", content = "{{ nowhere }}" }
"#;
    let playbook = playbook(dir.path(), text);

    let report = run(&playbook, &plain(&playbook), false).await;

    let step = &report.results[1];
    assert_eq!(step.outcome, Outcome::Failed);
    assert!(
        step.detail
            .as_deref()
            .unwrap()
            .contains("cannot render content"),
        "{step:?}"
    );
}

#[tokio::test]
async fn progress_announces_each_step_before_its_result() {
    let dir = tempfile::tempdir().unwrap();
    let playbook = playbook(dir.path(), HANDLERS);
    let values = plain(&playbook);
    let mut seen = Vec::new();

    run_playbook(
        &LocalShell::new("local"),
        &playbook,
        &values,
        false,
        |p| match p {
            Progress::Started(name) => seen.push(format!("start {name}")),
            Progress::Done(result) => {
                seen.push(format!("{} {}", result.outcome.as_str(), result.step))
            }
        },
    )
    .await;

    assert_eq!(
        seen,
        [
            "start gather facts",
            "ok gather facts",
            "start first change",
            "changed first change",
            "start second change",
            "changed second change",
            "start breaks",
            "failed breaks",
            "start h",
            "changed h",
        ]
    );
}

//! Ctrl-C during a redeploy on the real engine: the service is put back as it was.

use std::process::Stdio;
use std::time::Duration;

use super::follow::talker;
use super::stack_support::{TestStack, engine};

/// The ids of `service`'s containers and whether each runs.
async fn containers(stack: &TestStack, service: &str) -> Vec<(String, bool)> {
    let all = engine()
        .await
        .stack_containers(&stack.project)
        .await
        .expect("the engine lists containers");
    all.into_iter()
        .filter(|c| c.service.as_deref() == Some(service))
        .map(|c| (c.id, c.running))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_redeploy_removes_the_new_container_and_keeps_the_old_one_serving() {
    // Regression: `redeploy api` interrupted while the new container was starting left both
    // containers serving, and `status` showed only one of them.
    let file = format!("name = \"unused\"\n{}", talker("talker"));
    let stack = TestStack::new("interrupt", Some(&file));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);
    let old = stack
        .running_container("talker")
        .await
        .expect("talker runs");
    // The next version never gets ready, so the redeploy waits for it until interrupted.
    stack.write_stack_file(
        "stack.toml",
        r#"
        name = "unused"
        [services.talker]
        image = "debian:bookworm-slim"
        command = ["sleep", "600"]
        stop_grace_secs = 1
        ready = { http = { port = 8000, paths = ["/"] }, timeout_secs = 120 }
        "#,
    );

    let redeploy = stack
        .command(&["redeploy", "talker"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("capstan redeploy starts");
    let started = tokio::time::timeout(Duration::from_secs(60), async {
        while containers(&stack, "talker").await.len() < 2 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(started.is_ok(), "the new container never appeared");
    let pid = redeploy.id().expect("the redeploy runs").to_string();
    // Twice at once, as `timeout -s INT` delivers it (to the process, then to its group): the
    // second is the same interrupt, not a second Ctrl-C that means "leave now".
    for _ in 0..2 {
        let signal = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(signal.success());
    }
    let output = tokio::time::timeout(Duration::from_secs(60), redeploy.wait_with_output())
        .await
        .expect("the redeploy ends after Ctrl-C")
        .expect("its output is read");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("putting talker back as it was"), "{stderr}");
    assert_eq!(containers(&stack, "talker").await, [(old, true)]);
}

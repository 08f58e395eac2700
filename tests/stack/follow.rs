//! Following a service's output on the real engine: `capstan logs SERVICE -f` started on a
//! stopped service shows the last lines, then keeps following across a `docker start`, a
//! `docker restart` and a redeploy without losing or repeating a line; the dashboard's follows,
//! started before the stack exists, see each new container from its first line.

use std::process::Stdio;
use std::time::Duration;

use capstan::ops::{self, Context};
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::ChildStdout;

use super::stack_support::{TestStack, docker, perl_service};

/// Reads lines until one contains `text`; fails naming what was read when it does not come.
async fn read_until(lines: &mut Lines<BufReader<ChildStdout>>, seen: &mut Vec<String>, text: &str) {
    let wait = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stdout reads") {
            let found = line.contains(text);
            seen.push(line);
            if found {
                return true;
            }
        }
        false
    });
    let found = wait.await.unwrap_or(false);
    assert!(
        found,
        "`{text}` never came; read so far:\n{}",
        seen.join("\n")
    );
}

/// A service whose every run prints `boot <run>` and then `tick <n> <run>` ten times a second;
/// perl (in the slim image) answers the readiness check.
pub fn talker(name: &str) -> String {
    let script = r#"
            my $run = int(rand(1e9));
            print "boot $run\n";
            if (fork) {
                for (my $i = 1; ; $i++) {
                    print "tick $i $run\n";
                    select(undef, undef, undef, 0.1);
                }
            }"#;
    perl_service(name, script)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_shows_a_stopped_services_tail_then_follows_restart_and_redeploy() {
    // Each run of the container numbers its lines; `boot` marks each start.
    let file = format!("name = \"unused\"\n{}", talker("talker"));
    let stack = TestStack::new("follow", Some(&file));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);
    let container = stack
        .running_container("talker")
        .await
        .expect("talker runs");

    docker(&["stop", "--time", "1", &container]);

    // Following a stopped service shows its last lines, then waits for it to start.
    let mut child = stack
        .command(&["logs", "talker", "-f", "--tail", "1000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("capstan logs -f starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();

    read_until(&mut lines, &mut seen, "tick 5 ").await;
    docker(&["start", &container]);
    read_until(&mut lines, &mut seen, "tick 5 ").await;
    docker(&["restart", "--time", "1", &container]);
    read_until(&mut lines, &mut seen, "tick 5 ").await;
    // A redeploy replaces the container: the follow moves to the new one.
    let redeploy = stack.capstan(&["redeploy", "talker"]).await;
    assert!(redeploy.ok, "redeploy failed:\n{}", redeploy.output);
    read_until(&mut lines, &mut seen, "tick 5 ").await;
    let _ = child.kill().await;

    let boots = seen.iter().filter(|line| line.starts_with("boot ")).count();
    assert_eq!(boots, 4, "one boot per start:\n{}", seen.join("\n"));
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        seen.len(),
        "no line twice:\n{}",
        seen.join("\n")
    );
    // Within each run the ticks count up by one: no line was lost at a restart.
    let mut expected = 1;
    for line in &seen {
        if line.starts_with("boot ") {
            expected = 1;
        } else if let Some(n) = line.split(' ').nth(1).and_then(|n| n.parse::<u32>().ok()) {
            assert_eq!(
                n,
                expected,
                "a line is missing before {line}:\n{}",
                seen.join("\n")
            );
            expected += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_started_before_the_stack_exists_show_every_new_containers_first_line() {
    // Regression: the dashboard follows every service before its own `up` creates them. A
    // container that started after the follower looked but before its event subscription
    // reached the engine went unseen, and db's log pane stayed at "no log lines yet".
    let names = ["one", "two", "three"];
    let services: String = names.iter().map(|name| talker(name)).collect();
    let file = format!("name = \"unused\"\n{services}");
    let stack = TestStack::new("follow-new", Some(&file));
    let ctx = Context::load_in(&stack.options(), stack.data_dir())
        .await
        .expect("the test stack loads");
    let mut follows: Vec<_> = names
        .iter()
        .map(|name| ops::follow(ctx.stack.clone(), name.to_string(), Some(200)))
        .collect();

    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);

    for (name, follow) in names.iter().zip(&mut follows) {
        let first = tokio::time::timeout(Duration::from_secs(30), follow.next()).await;
        let text = first
            .ok()
            .flatten()
            .map(|line| String::from_utf8_lossy(&line.bytes).into_owned());
        assert!(
            text.as_deref().is_some_and(|t| t.starts_with("boot ")),
            "{name}: the first line followed is {text:?}, not its boot line"
        );
    }
}

//! `capstan logs SERVICE` on the real engine: what a container wrote as one line comes out as
//! one line, however long (as text, or as JSON with `--json`); escape sequences reach a pipe as
//! written and a terminal cleaned.

use super::stack_support::{TestStack, perl_service};

/// The length of the long line: longer than three of the 16 KiB pieces Docker cuts lines into.
const LONG: usize = 60_000;

/// A red `after` behind a title change and a screen clear.
const ESCAPED: &str = "\x1b]0;CLI-TITLE\x07\x1b[2J\x1b[31mafter\x1b[0m";

/// A service that prints one line of [`LONG`] `x`s and then [`ESCAPED`]; perl (in the slim
/// image) answers the readiness check.
fn long_liner(name: &str) -> String {
    let script = format!(
        r#"
            print "x" x {LONG}, "\n";
            print "\e]0;CLI-TITLE\a\e[2J\e[31mafter\e[0m\n";"#
    );
    perl_service(name, &script)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_prints_a_60000_byte_line_as_one_line_not_as_16_kib_pieces() {
    // Regression: a 60,000-character request line came out as 4 lines of ~16 KiB.
    let file = format!("name = \"unused\"\n{}", long_liner("long"));
    let stack = TestStack::new("long-line", Some(&file));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);

    let logs = stack.capstan(&["logs", "long"]).await;

    assert!(logs.ok, "logs failed:\n{}", logs.output);
    let lengths: Vec<usize> = logs.stdout.lines().map(str::len).collect();
    assert_eq!(lengths, [LONG, ESCAPED.len()], "{}", logs.stderr);
    assert!(logs.stdout.starts_with(&"x".repeat(LONG)));

    // With --json, one object per line for scripts.
    let json = stack.capstan(&["--json", "logs", "long"]).await;
    assert!(json.ok, "logs --json failed:\n{}", json.output);
    let objects: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is a JSON object"))
        .collect();
    assert_eq!(objects.len(), 2, "{}", json.stdout);
    assert_eq!(objects[0]["service"], "long");
    assert_eq!(objects[0]["stream"], "stdout");
    assert_eq!(objects[0]["line"].as_str().map(str::len), Some(LONG));
    assert_eq!(objects[1]["line"], ESCAPED);
    assert!(objects[1]["timestamp"].is_string(), "{}", objects[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_cleans_escape_sequences_on_a_terminal_and_keeps_them_through_a_pipe() {
    // Regression: on a terminal, the api's title change and screen clear reached the terminal.
    let file = format!("name = \"unused\"\n{}", long_liner("escapes"));
    let stack = TestStack::new("escapes", Some(&file));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);

    let piped = stack.capstan(&["logs", "escapes"]).await;
    let terminal = stack.capstan_on_terminal(&["logs", "escapes"]).await;

    assert!(piped.ok, "logs failed:\n{}", piped.output);
    assert_eq!(piped.stdout.lines().nth(1), Some(ESCAPED));
    assert!(
        terminal.ok,
        "logs on a terminal failed:\n{}",
        terminal.output
    );
    let shown = terminal.stdout.replace(&"x".repeat(LONG), "x...");
    assert!(
        shown.contains("\x1b[38;5;1mafter\x1b[39m"),
        "no red `after`: {shown:?}"
    );
    for sequence in ["\x1b]", "\x07", "\x1b[2J"] {
        assert!(
            !shown.contains(sequence),
            "{sequence:?} reached the terminal: {shown:?}"
        );
    }
}

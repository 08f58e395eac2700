//! The loop itself: messages in on one channel, frames out on a `TestBackend`, actions handed
//! to the dispatcher, and an end on `q`.

use super::support::*;

#[tokio::test]
async fn loop_applies_messages_draws_and_ends_on_q_confirmed() {
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("a test terminal");
    let (tx, rx) = tui::channel();
    let mut dispatched = Vec::new();

    tx.send(Msg::Ops(Event::Services(three_healthy())))
        .expect("the loop listens");
    tx.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
    )))
    .expect("the loop listens");
    tx.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::NONE,
    )))
    .expect("the loop listens");
    tx.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('q'),
        KeyModifiers::NONE,
    )))
    .expect("the loop listens");
    // The redeploy has not started yet, so quitting asks first.
    tx.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('y'),
        KeyModifiers::NONE,
    )))
    .expect("the loop listens");
    let frames = tui::run_loop(&mut terminal, &mut app, rx, |action| {
        dispatched.push(action)
    })
    .await
    .expect("the loop ends cleanly");

    assert!(app.should_quit());
    assert_eq!(
        dispatched,
        vec![Action::Redeploy {
            service: "api".to_string()
        }]
    );
    assert_eq!(frames, 1, "messages that arrive together are drawn once");
}

#[tokio::test]
async fn loop_redraws_after_a_change_and_ends_when_every_source_is_gone() {
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("a test terminal");
    let (tx, rx) = tui::channel();

    let feeder = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        tx.send(Msg::Ops(Event::Services(three_healthy())))
            .expect("the loop listens");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    });
    let frames = tui::run_loop(&mut terminal, &mut app, rx, |_| {})
        .await
        .expect("the loop ends cleanly");
    feeder.await.expect("the feeder ends");

    assert_eq!(
        frames, 2,
        "the first frame, then one after the services arrived"
    );
    assert!(terminal.backend().to_string().contains("frontend"));
}

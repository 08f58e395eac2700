//! The frontend in a real browser: headless Debian Chromium driven over WebDriver (fantoccini)
//! against a real `capstan serve` (API + static roles) on the test MariaDB.
//!
//! Needs `CAPSTAN_TEST_MYSQL` (set by `scripts/test`); fails, never skips, without it. Every
//! wait polls for a state with a deadline; nothing sleeps and hopes.

#[path = "browser/harness.rs"]
mod harness;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, ensure};
use fantoccini::{Client, Locator};
use futures::future::BoxFuture;
use serde_json::{Value, json};

use fantoccini::key::Key;
use harness::{Browser, Serve, focused, gone, press, retype, text_is, visible, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_is_added_found_corrected_edited_and_deleted_through_the_page() {
    with_app_and_browser(|client, serve| Box::pin(add_find_edit_delete(client, serve))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_pages_sorts_works_by_keyboard_fits_a_phone_and_says_when_the_server_is_gone() {
    with_app_and_browser(|client, serve| {
        Box::pin(page_sort_keyboard_narrow_offline(client, serve))
    })
    .await;
}

type Scenario = for<'a> fn(&'a Client, &'a Serve) -> BoxFuture<'a, anyhow::Result<()>>;

/// Runs `scenario` against a fresh app (own database) and a fresh browser, then cleans up.
///
/// On failure, panics with the reason and keeps the scratch folder (logs, a screenshot).
async fn with_app_and_browser(scenario: Scenario) {
    let mysql = harness::mysql_from_env();
    let scratch = tempfile::Builder::new()
        .prefix("capstan-browser-")
        .tempdir()
        .expect("the system temp dir is writable");
    let database = unique_database_name();

    let outcome = run(scratch.path(), &mysql, &database, scenario).await;

    let dropped = harness::drop_database(&mysql, &database).await;
    if let Err(err) = outcome {
        let kept = scratch.keep();
        panic!(
            "{err:#}\n\nlogs, the Chromium profile and a screenshot are kept in {}\nserve log:\n{}",
            kept.display(),
            harness::tail(&kept.join("serve.log"), 40),
        );
    }
    if let Err(err) = dropped {
        panic!("{err:#}");
    }
}

/// Starts the app and the browser, plays the scenario, and screenshots the page if it fails.
async fn run(
    scratch: &Path,
    mysql: &mysql_async::Opts,
    database: &str,
    scenario: Scenario,
) -> anyhow::Result<()> {
    let serve = Serve::start(scratch, mysql, database).await?;
    let browser = Browser::start(scratch).await?;
    let client = browser.client.clone();

    let outcome = match scenario(&client, &serve).await {
        Ok(()) => no_page_error(&client).await,
        Err(err) => match no_page_error(&client).await {
            Ok(()) => Err(err),
            Err(page) => Err(err.context(format!("{page:#}"))),
        },
    };

    if outcome.is_err()
        && let Ok(png) = client.screenshot().await
    {
        let _ = std::fs::write(scratch.join("failure.png"), png);
    }
    let closed = client.close().await;
    drop(browser);
    outcome?;
    closed.context("failed to close the browser session")?;
    Ok(())
}

async fn add_find_edit_delete(client: &Client, serve: &Serve) -> anyhow::Result<()> {
    let api = Api::new(&serve.base_url);
    for (first, last, email) in [
        ("Grace", "Hopper", "grace@example.org"),
        ("Alan", "Turing", "alan@example.org"),
        ("Edsger", "Dijkstra", "taken@example.org"),
    ] {
        api.create(json!({"first_name": first, "last_name": last, "email": email}))
            .await?;
    }

    client
        .goto(&serve.base_url)
        .await
        .context("failed to open the page")?;
    text_is(client, "[data-testid=person-count]", "3 people").await?;
    ensure!(
        rows(client).await?.len() == 3,
        "the list shows one row per stored person"
    );

    // Add, with an invalid email first: the API's message shows next to the field and nothing
    // typed is lost.
    click(client, "[data-testid=add-person]").await?;
    visible(client, "[data-testid=person-dialog]").await?;
    retype(client, "#first_name", "Ada").await?;
    retype(client, "#last_name", "Lovelace").await?;
    retype(client, "#email", "ada.lovelace-at-example.org").await?;
    click(client, "[data-testid=save-person]").await?;

    let error = visible(client, "[data-testid=error-email]").await?;
    ensure!(
        !error.text().await?.trim().is_empty(),
        "the email error has a message"
    );
    let email = client.find(Locator::Css("#email")).await?;
    ensure!(
        email.attr("aria-invalid").await?.as_deref() == Some("true"),
        "the email input is marked invalid for assistive technology"
    );
    ensure!(
        value_of(client, "#first_name").await? == "Ada",
        "the typed first name is kept"
    );
    ensure!(api.count("").await? == 3, "a rejected form stores nothing");

    // A duplicate email (409) also shows next to the email field.
    retype(client, "#email", "taken@example.org").await?;
    gone(client, "[data-testid=error-email]").await?;
    click(client, "[data-testid=save-person]").await?;
    visible(client, "[data-testid=error-email]").await?;
    ensure!(
        api.count("").await? == 3,
        "a duplicate email stores nothing"
    );

    retype(client, "#email", "ada@example.org").await?;
    click(client, "[data-testid=save-person]").await?;
    gone(client, "[data-testid=person-dialog]").await?;
    text_is(client, "[data-testid=announce]", "Ada Lovelace added.").await?;
    text_is(client, "[data-testid=person-count]", "4 people").await?;
    let stored = api.find_one("ada@example.org").await?;
    let id = stored["id"].clone();
    ensure!(
        stored["first_name"] == "Ada" && stored["last_name"] == "Lovelace",
        "{stored}"
    );

    // Search narrows the list to her.
    retype(client, "[data-testid=search]", "lovelace").await?;
    text_is(
        client,
        "[data-testid=person-count]",
        "1 person matching “lovelace”",
    )
    .await?;
    let found = rows(client).await?;
    ensure!(
        found.len() == 1,
        "the search leaves one row, not {}",
        found.len()
    );
    let name = found[0]
        .find(Locator::Css("[data-testid=cell-name]"))
        .await?;
    ensure!(
        name.text().await? == "Ada Lovelace",
        "the row found is Ada Lovelace's"
    );

    // Edit her name and phone; the list and the API both show the change.
    click(
        client,
        "[data-testid=people-body] [data-testid=edit-person]",
    )
    .await?;
    visible(client, "[data-testid=person-dialog]").await?;
    ensure!(
        value_of(client, "#email").await? == "ada@example.org",
        "the form is prefilled"
    );
    retype(client, "#first_name", "Augusta Ada").await?;
    retype(client, "#phone", "+44 20 7946 0958").await?;
    click(client, "[data-testid=save-person]").await?;
    gone(client, "[data-testid=person-dialog]").await?;
    text_is(
        client,
        "[data-testid=people-body] [data-testid=cell-name]",
        "Augusta Ada Lovelace",
    )
    .await?;
    text_is(
        client,
        "[data-testid=people-body] [data-testid=cell-phone]",
        "+44 20 7946 0958",
    )
    .await?;
    let stored = api
        .get(&id)
        .await?
        .context("the edited person still exists")?;
    ensure!(
        stored["first_name"] == "Augusta Ada",
        "the API stored the new name: {stored}"
    );
    ensure!(
        stored["phone"] == "+44 20 7946 0958",
        "the API stored the phone: {stored}"
    );

    // Delete asks first: "Keep" deletes nothing; "Delete" removes her and only her.
    click(
        client,
        "[data-testid=people-body] [data-testid=delete-person]",
    )
    .await?;
    visible(client, "[data-testid=confirm-dialog]").await?;
    click(client, "[data-testid=confirm-cancel]").await?;
    gone(client, "[data-testid=confirm-dialog]").await?;
    ensure!(
        api.get(&id).await?.is_some(),
        "keeping the person deletes nothing"
    );

    click(
        client,
        "[data-testid=people-body] [data-testid=delete-person]",
    )
    .await?;
    let confirm = visible(client, "[data-testid=confirm-dialog]").await?;
    ensure!(
        confirm.text().await?.contains("Augusta Ada Lovelace"),
        "the dialog names her"
    );
    click(client, "[data-testid=confirm-delete]").await?;
    gone(client, "[data-testid=confirm-dialog]").await?;
    visible(client, "[data-testid=empty-row]").await?;
    text_is(
        client,
        "[data-testid=person-count]",
        "0 people matching “lovelace”",
    )
    .await?;
    ensure!(api.get(&id).await?.is_none(), "the API no longer has her");
    ensure!(api.count("").await? == 3, "the other persons are untouched");
    Ok(())
}

async fn page_sort_keyboard_narrow_offline(client: &Client, serve: &Serve) -> anyhow::Result<()> {
    let api = Api::new(&serve.base_url);
    for n in 1..=21 {
        let last = format!("Person{n:02}");
        api.create(json!({"first_name": "Test", "last_name": last}))
            .await?;
    }

    // The query lives in the address: a link with page_size=10 opens ten to a page.
    client
        .goto(&format!("{}/?page_size=10", serve.base_url))
        .await?;
    text_is(client, "[data-testid=person-count]", "21 people").await?;
    text_is(client, "[data-testid=page-info]", "Page 1 of 3").await?;
    ensure!(
        rows(client).await?.len() == 10,
        "a page holds page_size rows"
    );
    first_name_is(client, "Test Person01").await?;

    click(client, "[data-testid=next-page]").await?;
    text_is(client, "[data-testid=page-info]", "Page 2 of 3").await?;
    first_name_is(client, "Test Person11").await?;
    let url = client.current_url().await?;
    ensure!(
        url.query().unwrap_or("").contains("page=2"),
        "the URL keeps the page: {url}"
    );
    click(client, "[data-testid=next-page]").await?;
    text_is(client, "[data-testid=page-info]", "Page 3 of 3").await?;
    ensure!(
        rows(client).await?.len() == 1,
        "the last page holds the rest"
    );
    let next = client.find(Locator::Css("[data-testid=next-page]")).await?;
    ensure!(!next.is_enabled().await?, "there is no page after the last");

    // Deleting the only row of the last page moves to the page before, which now is the last.
    click(
        client,
        "[data-testid=people-body] [data-testid=delete-person]",
    )
    .await?;
    click(client, "[data-testid=confirm-delete]").await?;
    text_is(client, "[data-testid=page-info]", "Page 2 of 2").await?;
    text_is(client, "[data-testid=person-count]", "20 people").await?;
    first_name_is(client, "Test Person11").await?;

    // Sorting by a column starts again at page 1 and marks the column for screen readers.
    click(client, "[data-testid=sort-last_name]").await?;
    text_is(client, "[data-testid=page-info]", "Page 1 of 2").await?;
    first_name_is(client, "Test Person20").await?;
    let header = client.find(Locator::Css("th[data-sort=last_name]")).await?;
    let sort = header.attr("aria-sort").await?;
    ensure!(
        sort.as_deref() == Some("descending"),
        "aria-sort follows: {sort:?}"
    );

    // "/" jumps to the search; a dialog opens on its first field, Escape closes it and the focus
    // goes back to the button that opened it.
    press(client, '/').await?;
    focused(client, "search").await?;
    click(client, "[data-testid=add-person]").await?;
    focused(client, "first_name").await?;
    press(client, Key::Escape.into()).await?;
    gone(client, "[data-testid=person-dialog]").await?;
    focused(client, "add-person").await?;

    // On a phone-sized screen each row is a card, nothing scrolls sideways, the actions stay.
    client.set_window_size(390, 844).await?;
    wait_until("rows to become cards", harness::UI_DEADLINE, || async {
        let row = client
            .find(Locator::Css("[data-testid=person-row]"))
            .await?;
        let display = row.css_value("display").await?;
        Ok((display == "block").then_some(()))
    })
    .await?;
    let overflow = client
        .execute(
            "const root = document.documentElement; return root.scrollWidth - root.clientWidth;",
            vec![],
        )
        .await?;
    ensure!(
        overflow.as_i64() == Some(0),
        "the page scrolls sideways by {overflow} px"
    );
    visible(
        client,
        "[data-testid=people-body] [data-testid=edit-person]",
    )
    .await?;
    client.set_window_size(1280, 900).await?;

    // When the server goes away, the page says so instead of showing a stale list as current.
    serve.stop();
    retype(client, "[data-testid=search]", "Person").await?;
    let error = visible(client, "[data-testid=list-error]").await?;
    let text = error.text().await?;
    ensure!(
        text.contains("Cannot reach the server"),
        "the error says what is wrong: {text:?}"
    );
    visible(client, "[data-testid=retry]").await?;
    let table = client.find(Locator::Css("[data-testid=people]")).await?;
    let class = table.attr("class").await?.unwrap_or_default();
    ensure!(
        class.contains("stale"),
        "the old rows are marked out of date: class {class:?}"
    );
    Ok(())
}

/// Waits until the first row's name reads `expected`.
async fn first_name_is(client: &Client, expected: &str) -> anyhow::Result<()> {
    text_is(
        client,
        "[data-testid=person-row]:first-child [data-testid=cell-name]",
        expected,
    )
    .await
}

/// Fails when the page's own code failed (the banner `js/page-error.js` shows).
async fn no_page_error(client: &Client) -> anyhow::Result<()> {
    let banner = client
        .find(Locator::Css("[data-testid=page-error]"))
        .await?;
    if banner.is_displayed().await? {
        anyhow::bail!(
            "the page reports an error of its own: {}",
            banner.text().await?
        );
    }
    Ok(())
}

/// The rows of the list as drawn now (the empty-state row excluded).
async fn rows(client: &Client) -> anyhow::Result<Vec<fantoccini::elements::Element>> {
    Ok(client
        .find_all(Locator::Css("[data-testid=person-row]"))
        .await?)
}

async fn click(client: &Client, css: &str) -> anyhow::Result<()> {
    let element = visible(client, css).await?;
    wait_until(
        &format!("{css} to be enabled"),
        harness::UI_DEADLINE,
        || async { Ok(element.is_enabled().await?.then_some(())) },
    )
    .await?;
    element
        .click()
        .await
        .with_context(|| format!("failed to click {css}"))
}

async fn value_of(client: &Client, css: &str) -> anyhow::Result<String> {
    let element = client.find(Locator::Css(css)).await?;
    Ok(element.prop("value").await?.unwrap_or_default())
}

/// A database name no other test run uses.
fn unique_database_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("capstan_browser_{}_{nanos}", std::process::id())
}

/// The API seen directly, to seed data and to read back what the page did.
struct Api {
    http: reqwest::Client,
    persons: String,
}

impl Api {
    fn new(base_url: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            persons: format!("{base_url}/api/persons/"),
        }
    }

    async fn create(&self, person: Value) -> anyhow::Result<Value> {
        let response = self.http.post(&self.persons).json(&person).send().await?;
        ensure!(
            response.status() == 201,
            "seeding {person} answered {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    async fn get(&self, id: &Value) -> anyhow::Result<Option<Value>> {
        let response = self
            .http
            .get(format!("{}{id}/", self.persons))
            .send()
            .await?;
        match response.status().as_u16() {
            200 => Ok(Some(response.json().await?)),
            404 => Ok(None),
            status => anyhow::bail!("GET person {id} answered {status}"),
        }
    }

    async fn list(&self, search: &str) -> anyhow::Result<Value> {
        let url = reqwest::Url::parse_with_params(
            &self.persons,
            [("search", search), ("page_size", "100")],
        )?;
        let response = self.http.get(url).send().await?;
        ensure!(
            response.status() == 200,
            "listing persons answered {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    async fn count(&self, search: &str) -> anyhow::Result<u64> {
        let list = self.list(search).await?;
        list["count"]
            .as_u64()
            .with_context(|| format!("the list has no count: {list}"))
    }

    /// The one stored person matching `search`.
    async fn find_one(&self, search: &str) -> anyhow::Result<Value> {
        let list = self.list(search).await?;
        let results = list["results"]
            .as_array()
            .context("the list has no results")?;
        ensure!(
            results.len() == 1,
            "expected one person matching {search:?}: {list}"
        );
        Ok(results[0].clone())
    }
}

//! The inventory, procurement and migration-path pages over HTTP.

use sovbench_node::people::Role;
use sovbench_node::web::routes;

use super::{Browser, Workplace};

fn sample() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/inventar.csv");
    std::fs::read_to_string(p).expect("sample inventory")
}

/// The value of the hidden field `systems` of a preview (HTML-escaped by maud).
fn preview_payload(body: &str) -> String {
    let i = body.find("name=\"systems\" value=\"").expect("payload") + 22;
    let rest = &body[i..];
    rest[..rest.find('"').expect("end")]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub(super) async fn import_sample(b: &mut Browser) {
    b.get("/inventory").await.expect(200);
    let a = b
        .upload(
            "/inventory/upload",
            &[],
            "file",
            "inventar.csv",
            sample().as_bytes(),
        )
        .await;
    a.expect(200).contains("ist fehlerfrei").contains("60");
    let payload = preview_payload(&a.body);
    let done = b
        .post(
            "/inventory/import",
            &[
                ("file", "inventar.csv"),
                ("systems", &payload),
                ("mode", "merge"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}

#[tokio::test]
async fn a_broken_line_is_named_and_nothing_stored_then_the_fixed_file_imports() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Editor).await;
    b.get("/inventory").await.expect(200);
    // Line 5 gets a relevance that does not exist.
    let broken: Vec<String> = sample()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 4 {
                l.replace(",kritisch,", ",sehr wichtig,")
            } else {
                l.to_string()
            }
        })
        .collect();
    let a = b
        .upload(
            "/inventory/upload",
            &[],
            "file",
            "inventar.csv",
            broken.join("\n").as_bytes(),
        )
        .await;
    a.expect(422)
        .contains("Nichts wurde gespeichert")
        .contains("<td class=\"num\">5</td>")
        .contains("sehr wichtig");
    assert!(!a.body.contains("/inventory/import"), "no import form");
    b.get("/inventory")
        .await
        .expect(200)
        .contains("Das Inventar ist leer");

    import_sample(&mut b).await;
    let list = b.get("/inventory").await;
    list.expect(200)
        .contains("60 von 60 Systemen")
        .contains("E-Mail und Kalender")
        .contains("Exchange Online")
        .contains("Risikomatrix");
    // Importing the same rows again without replacing is refused, with the names.
    let a = b
        .upload(
            "/inventory/upload",
            &[],
            "file",
            "inventar.csv",
            sample().as_bytes(),
        )
        .await;
    let payload = preview_payload(&a.body);
    b.post(
        "/inventory/import",
        &[
            ("file", "inventar.csv"),
            ("systems", &payload),
            ("mode", "merge"),
        ],
    )
    .await
    .expect(422)
    .contains("gibt es schon");
    // A file of an unknown type is named.
    b.upload("/inventory/upload", &[], "file", "inventar.txt", b"x")
        .await
        .expect(422)
        .contains("unbekannter Dateityp");
}

#[tokio::test]
async fn the_table_sorts_filters_and_the_system_and_exit_forms_change_it() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Editor).await;
    import_sample(&mut b).await;
    let a = b.get("/inventory?q=exchange&sort=risk").await;
    a.expect(200)
        .contains("1 von 60 Systemen")
        .contains("Exchange Online");
    // The sort links keep the filter.
    a.contains("sort=vendor&amp;q=exchange");
    let a = b
        .get("/inventory?relevance=kritisch&sort=contract_end")
        .await;
    a.expect(200).contains("E-Mail und Kalender");
    let systems_table = &a.body[..a.body.find("id=\"risk\"").expect("risk section")];
    assert!(systems_table.contains("1 von 60") || systems_table.contains("von 60 Systemen"));
    assert!(!systems_table.contains(">Präsentationen<"), "filtered out");
    let by_name = b.get("/inventory?sort=name").await;
    let by_risk = b.get("/inventory?sort=risk").await;
    let first_row = |body: &str| {
        let i = body.find("<tbody><tr><th scope=\"row\">").expect("row");
        body[i..i + 200].to_string()
    };
    assert_ne!(first_row(&by_name.body), first_row(&by_risk.body));

    let page = b
        .get("/inventory/system?name=E-Mail%20und%20Kalender")
        .await;
    page.expect(200)
        .contains("sys-users")
        .contains("Exit-Szenario");
    // A wrong number comes back next to its field, with the other entries kept.
    let a = b
        .post(
            "/inventory/system",
            &[
                ("original", "E-Mail und Kalender"),
                ("category", "email_kalender"),
                ("product", "Open-Xchange"),
                ("vendor", "OX"),
                ("jurisdiction", "eu_ewr"),
                ("hosting", "oeffentlicher_dienstleister"),
                ("licence", "open_source"),
                ("formats", "IMAP, CalDAV"),
                ("api", "ja"),
                ("contract_end", ""),
                ("notice_months", "3"),
                ("exit_clause", "ja"),
                ("relevance", "kritisch"),
                ("users", "viele"),
            ],
        )
        .await;
    a.expect(422)
        .contains("id=\"sys-users-error\"")
        .contains("aria-invalid=\"true\"")
        .contains("value=\"Open-Xchange\"");
    let a = b
        .post(
            "/inventory/system",
            &[
                ("original", "E-Mail und Kalender"),
                ("category", "email_kalender"),
                ("product", "Open-Xchange"),
                ("vendor", "OX"),
                ("jurisdiction", "eu_ewr"),
                ("hosting", "oeffentlicher_dienstleister"),
                ("licence", "open_source"),
                ("formats", "IMAP, CalDAV"),
                ("api", "ja"),
                ("contract_end", ""),
                ("notice_months", "3"),
                ("exit_clause", "ja"),
                ("relevance", "kritisch"),
                ("users", "640"),
            ],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let loc = a.header("location").unwrap_or_default().to_string();
    b.get(&loc)
        .await
        .expect(200)
        .contains("gespeichert")
        .contains("value=\"Open-Xchange\"");

    // The exit scenario: a new one needs the duration.
    b.post(
        "/inventory/exit",
        &[
            ("name", "Tabellenkalkulation"),
            ("alternatives", "LibreOffice"),
            ("months", ""),
            ("status", "entwurf"),
        ],
    )
    .await
    .expect(422)
    .contains("id=\"exit-months-error\"");
    let a = b
        .post(
            "/inventory/exit",
            &[
                ("name", "Tabellenkalkulation"),
                ("alternatives", "LibreOffice, OnlyOffice"),
                ("months", "12"),
                ("formats", "ODF, CSV"),
                ("cost", "5000"),
                ("status", "abgestimmt"),
            ],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    b.get("/inventory/system?name=Tabellenkalkulation")
        .await
        .expect(200)
        .contains("abgestimmt")
        .contains("3050000 EUR");

    // Remove.
    let a = b
        .post("/inventory/remove", &[("name", "Präsentationen")])
        .await;
    assert_eq!(a.status, 303);
    b.get("/inventory").await.contains("59 von 59 Systemen");

    // A new system through the same form.
    b.get("/inventory/system").await.expect(200);
    let a = b
        .post(
            "/inventory/system",
            &[
                ("original", ""),
                ("name", "Videokonferenz"),
                ("category", "videokonferenzen"),
                ("jurisdiction", "eu_ewr"),
                ("hosting", "eigenes_rz"),
                ("licence", "open_source"),
                ("api", "ja"),
                ("exit_clause", "ja"),
                ("relevance", "hoch"),
                ("users", "50"),
            ],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    b.get("/inventory").await.contains("60 von 60 Systemen");
}

#[tokio::test]
async fn the_readiness_check_is_stored_and_compared() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Editor).await;
    import_sample(&mut b).await;
    b.get("/inventory")
        .await
        .contains("Noch kein Check gespeichert");
    let a = b.post("/inventory/readiness", &[]).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let page = b.get("/inventory").await;
    page.expect(200)
        .contains("Wechselbereitschafts-Check durchgeführt")
        .contains("Letzter Check vom")
        .contains("Kritische Systeme ohne Exit-Szenario")
        .contains("keinen früheren Check");
    // Give a critical system an exit scenario; the second check shows the change.
    b.post(
        "/inventory/exit",
        &[
            ("name", "E-Mail und Kalender"),
            ("months", "9"),
            ("status", "getestet"),
        ],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    b.get("/inventory").await;
    assert_eq!(b.post("/inventory/readiness", &[]).await.status, 303);
    b.get("/inventory")
        .await
        .expect(200)
        .contains("Seit dem Check vom");
}

#[tokio::test]
async fn procurement_reports_unknown_criteria_and_exports_ods() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Editor).await;
    b.get("/procurement")
        .await
        .expect(200)
        .contains("Vergabekriterien");
    let toml = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/kandidaten.toml"),
    )
    .expect("sample");
    // The sample rates "barrierefreiheit", which the default matrix does not have.
    let a = b
        .upload(
            "/procurement/candidates",
            &[],
            "file",
            "kandidaten.toml",
            &toml,
        )
        .await;
    a.expect(422)
        .contains("unbekanntes Kriterium")
        .contains("barrierefreiheit");
    b.get("/procurement")
        .await
        .contains("Noch keine Kandidaten");
    // An unknown key in the weights form is named too.
    b.post(
        "/procurement/criteria",
        &[("op", "set"), ("w.api", "10"), ("w.farbe", "3")],
    )
    .await
    .expect(422)
    .contains("„farbe“");
    // Add the criterion, then the upload is taken.
    let a = b
        .post(
            "/procurement/criteria",
            &[
                ("op", "add"),
                ("key", "barrierefreiheit"),
                ("label", "Barrierefreiheit"),
                ("weight", "10"),
            ],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    b.get("/procurement").await.expect(200);
    let a = b
        .upload(
            "/procurement/candidates",
            &[],
            "file",
            "kandidaten.toml",
            &toml,
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    b.get("/procurement")
        .await
        .expect(200)
        .contains("Rangfolge der Kandidaten")
        .contains("Open-Xchange im Landesrechenzentrum")
        .contains("/procurement/export.ods");
    let ods = b.get("/procurement/export.ods").await;
    ods.expect(200);
    assert_eq!(
        ods.header("content-type"),
        Some("application/vnd.oasis.opendocument.spreadsheet")
    );
    assert!(ods
        .header("content-disposition")
        .unwrap_or_default()
        .starts_with("attachment"));
    assert!(ods.body.starts_with("PK"), "a zip container");
}

#[tokio::test]
async fn a_path_is_added_advanced_and_rolled_back_with_reasons() {
    let w = Workplace::start().await;
    let mut b = w.login(Role::Editor).await;
    b.get("/paths")
        .await
        .expect(200)
        .contains("Noch kein Migrationspfad");
    b.post(
        "/paths/add",
        &[
            ("category", "email_kalender"),
            ("from", "Exchange"),
            ("to", ""),
            ("stage", "geplant"),
        ],
    )
    .await
    .expect(422)
    .contains("id=\"new-to-error\"");
    let a = b
        .post(
            "/paths/add",
            &[
                ("category", "email_kalender"),
                ("from", "Exchange Online"),
                ("to", "Open-Xchange"),
                ("stage", "geplant"),
                ("workplaces", "120"),
                ("date", "2026-01-15"),
            ],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let page = b.get("/paths").await;
    page.expect(200).contains("Exchange Online → Open-Xchange");
    let id = {
        let i = page.body.find("name=\"id\" value=\"").expect("id") + 17;
        let rest = &page.body[i..];
        rest[..rest.find('"').expect("end")].to_string()
    };
    // A reason is required.
    b.post("/paths/advance", &[("id", &id), ("reason", "")])
        .await
        .expect(422)
        .contains("Begründung");
    let a = b
        .post(
            "/paths/advance",
            &[
                ("id", &id),
                ("to", ""),
                ("reason", "Pilot im Bürgeramt genehmigt"),
            ],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    b.get("/paths")
        .await
        .contains("Pilot im Bürgeramt genehmigt")
        .contains("Zurückrollen");
    let a = b
        .post(
            "/paths/rollback",
            &[
                ("id", &id),
                ("reason", "Kalender-Synchronisation fehlerhaft"),
            ],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let page = b.get("/paths").await;
    page.expect(200)
        .contains("Kalender-Synchronisation fehlerhaft")
        .contains("zurückgerollt");
    assert!(
        !page.body.contains("/paths/advance"),
        "an ended path has no forms"
    );
}

#[tokio::test]
async fn a_reader_sees_the_pages_without_forms_and_gets_403_on_every_post() {
    let w = Workplace::start().await;
    let mut editor = w.login(Role::Editor).await;
    import_sample(&mut editor).await;
    let mut r = w.login(Role::Reader).await;
    let inv = r.get("/inventory").await;
    inv.expect(200).contains("Exchange Online");
    assert!(!inv.body.contains("/inventory/upload"));
    let sys = r.get("/inventory/system?name=Tabellenkalkulation").await;
    sys.expect(200);
    assert!(!sys.body.contains("action=\"/inventory/exit"));
    r.get("/procurement").await.expect(200);
    r.get("/paths").await.expect(200);
    for (_, path) in routes().iter().filter(|(m, p)| {
        *m == "POST"
            && ["/inventory", "/procurement", "/paths"]
                .iter()
                .any(|x| p.starts_with(x))
    }) {
        let a = if *path == "/inventory/upload" || *path == "/procurement/candidates" {
            r.upload(path, &[], "file", "x.csv", b"name\n").await
        } else {
            r.post(path, &[("name", "Tabellenkalkulation"), ("id", "x")])
                .await
        };
        assert_eq!(a.status, 403, "reader POST {path}: {}", a.body);
        // The reader's page still carries the token for the next try.
        r.get("/inventory").await;
    }
    editor
        .get("/inventory")
        .await
        .contains("60 von 60 Systemen");
}

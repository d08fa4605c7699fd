//! Tests of the inventory edit rules against a real node store.

use super::*;
use crate::node::testing::{node, sample_inventory};

#[test]
fn import_export_and_broken_files_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("n"));
    assert_eq!(
        import(&n, &sample_inventory(), ImportMode::default()).unwrap(),
        60
    );
    assert_eq!(n.store().systems().unwrap().len(), 60);
    // Importing the same names again is refused as a whole.
    let e = import(&n, &sample_inventory(), ImportMode::default()).unwrap_err();
    assert!(e.to_string().contains("exist already"), "{e}");
    assert_eq!(n.store().systems().unwrap().len(), 60);
    // A broken file: nothing of it is stored, the error names line and column.
    let bad = dir.path().join("kaputt.csv");
    std::fs::write(&bad, "name,category,jurisdiction,hosting,licence,api,exit_clause,relevance,users\nNeu,textverarbeitung,eu,eigenes_rz,open_source,ja,ja,hoch,5\nKaputt,textverarbeitung,eu,eigenes_rz,open_source,ja,ja,sehr hoch,5\n").unwrap();
    let e = import(&n, &bad, ImportMode::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("line 3, column 8 (relevance / Relevanz)"),
        "{e}"
    );
    assert!(e.to_string().starts_with(&bad.display().to_string()), "{e}");
    assert!(n.store().system("Neu").unwrap().is_none());
    // Export and re-import with --replace gives the same inventory.
    for ext in ["csv", "json", "ods"] {
        let out = dir.path().join(format!("export.{ext}"));
        assert_eq!(export(&n, &out, Lang::En).unwrap(), 60);
        let before = n.store().systems().unwrap();
        let replace = ImportMode {
            replace: true,
            allow_empty: false,
        };
        assert_eq!(import(&n, &out, replace).unwrap(), 60);
        assert_eq!(n.store().systems().unwrap(), before, "{ext}");
    }
    let e = export(&n, &dir.path().join("x.txt"), Lang::De).unwrap_err();
    assert!(e.to_string().contains("unsupported file type"), "{e}");
}

fn fields() -> SystemFields {
    SystemFields {
        category: Some("videokonferenzen".into()),
        jurisdiction: Some("us".into()),
        hosting: Some("nicht_eu_anbieter_eu_region".into()),
        licence: Some("proprietaer".into()),
        api: Some("ja".into()),
        exit_clause: Some("nein".into()),
        relevance: Some("hoch".into()),
        users: Some(300),
        ..Default::default()
    }
}

#[test]
fn add_edit_exit_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("n"));
    let s = add(&n, "Video", fields()).unwrap();
    assert_eq!(
        (s.category, s.relevance, s.users, s.api, s.exit_clause),
        (
            Category::Videokonferenzen,
            Relevance::Hoch,
            300,
            true,
            false
        )
    );
    let e = add(&n, "Video", fields()).unwrap_err();
    assert!(e.to_string().contains("exists already"));
    let e = add(&n, "Halb", SystemFields::default()).unwrap_err();
    assert!(
        e.to_string().contains("--category") && e.to_string().contains("--users"),
        "{e}"
    );
    assert!(n.store().system("Halb").unwrap().is_none());
    let bad = SystemFields {
        relevance: Some("egal".into()),
        ..Default::default()
    };
    let e = edit(&n, "Video", bad).unwrap_err();
    assert!(
        e.to_string().contains("kritisch, hoch, mittel, niedrig"),
        "{e}"
    );
    assert_eq!(get(&n, "Video").unwrap().relevance, Relevance::Hoch);
    let clause = SystemFields {
        exit_clause: Some("ja".into()),
        ..Default::default()
    };
    assert!(edit(&n, "Video", clause).unwrap().exit_clause);
    // A new scenario needs the switch duration.
    let e = set_exit(&n, "Video", ExitEdit::default()).unwrap_err();
    assert!(e.to_string().contains("--months"), "{e}");
    let exit = ExitEdit {
        alternatives: Some(vec!["BigBlueButton".into(), " ".into()]),
        months: Some(6),
        formats: Some(vec!["ODF".into()]),
        cost_per_workplace: Some(5_000),
        status: Some("abgestimmt".into()),
    };
    set_exit(&n, "Video", exit.clone()).unwrap();
    let s = n.store().system("Video").unwrap().unwrap();
    assert!(s.exit_clause);
    let x = s.exit.unwrap();
    assert_eq!(x.alternatives, vec!["BigBlueButton".to_string()]);
    assert_eq!(x.status, ExitStatus::Abgestimmt);
    assert_eq!(x.estimated_cost(300), 1_500_000);
    // An edit changes only the fields given: formats, status and cost stay.
    let changed = set_exit(
        &n,
        "Video",
        ExitEdit {
            alternatives: Some(vec!["Jitsi".into()]),
            months: Some(9),
            ..Default::default()
        },
    )
    .unwrap()
    .exit
    .unwrap();
    assert_eq!(changed.alternatives, vec!["Jitsi".to_string()]);
    assert_eq!(changed.switch_months, 9);
    assert_eq!(changed.export_formats, vec!["ODF".to_string()]);
    assert_eq!(changed.status, ExitStatus::Abgestimmt);
    assert_eq!(changed.cost_per_workplace, 5_000);
    let e = set_exit(
        &n,
        "Video",
        ExitEdit {
            months: Some(300),
            ..exit
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("implausible"), "{e}");
    remove(&n, "Video").unwrap();
    let e = remove(&n, "Video").unwrap_err();
    assert_eq!(e.to_string(), "no system named \"Video\"");
}

#[test]
fn field_values_are_checked_and_dates_cleared() {
    let mut s = System {
        contract_end: Some(1),
        ..crate::inventory::tests::system("Mail")
    };
    let f = SystemFields {
        contract_end: Some("-".into()),
        formats: Some(vec![" ODF ".into(), String::new()]),
        ..Default::default()
    };
    apply(&mut s, f).unwrap();
    assert_eq!(
        (s.contract_end, s.formats.clone()),
        (None, vec!["ODF".into()])
    );
    for (f, needle) in [
        (
            SystemFields {
                api: Some("vielleicht".into()),
                ..Default::default()
            },
            "--api \"vielleicht\": use ja or nein",
        ),
        (
            SystemFields {
                contract_end: Some("31.13.2027".into()),
                ..Default::default()
            },
            "--contract-end \"31.13.2027\": use YYYY-MM-DD",
        ),
        (
            SystemFields {
                hosting: Some("mond".into()),
                ..Default::default()
            },
            "--hosting \"mond\" is not allowed; use one of: eigenes_rz",
        ),
    ] {
        let e = apply(&mut s, f).unwrap_err().to_string();
        assert!(e.starts_with(needle), "{e}");
    }
    let all = list_alternatives(
        &node(&tempfile::tempdir().unwrap().path().join("n")),
        None,
        None,
    )
    .unwrap();
    assert!(all.iter().all(|a| a.source != "user"));
}

#[test]
fn replacing_with_a_file_without_systems_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path());
    assert_eq!(
        import(&n, &sample_inventory(), ImportMode::default()).unwrap(),
        60
    );
    let header_only = dir.path().join("leer.csv");
    let text = std::fs::read_to_string(sample_inventory()).unwrap();
    std::fs::write(&header_only, text.lines().next().unwrap()).unwrap();
    let replace = ImportMode {
        replace: true,
        allow_empty: false,
    };
    let err = import(&n, &header_only, replace).unwrap_err();
    assert!(
        matches!(err, EditError::EmptyReplace { existing: 60, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("--allow-empty"), "{err}");
    assert_eq!(n.store().systems().unwrap().len(), 60, "nothing deleted");
    let allowed = ImportMode {
        replace: true,
        allow_empty: true,
    };
    assert_eq!(import(&n, &header_only, allowed).unwrap(), 0);
    assert!(n.store().systems().unwrap().is_empty());
}

//! The command line, run as a user would: a fresh data directory, `seed`, then `coverage`.

use std::process::Command;

fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sociale-kaart"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn coverage_prints_the_matrix_as_a_table_csv_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, _, err) = run(dir.path(), &["seed"]);
    assert!(ok, "{err}");

    let (ok, table, err) = run(dir.path(), &["coverage", "--region", "JZ36"]);
    assert!(ok, "{err}");
    assert!(
        table.contains("West Brabant West (JZ36), version 1"),
        "{table}"
    );
    assert!(table.contains("illustrative, not an official agreement"));
    for name in [
        "Bergen op Zoom",
        "Roosendaal",
        "Zundert",
        "region median",
        "national median",
    ] {
        assert!(table.contains(name), "{name} in\n{table}");
    }
    let row = table
        .lines()
        .find(|l| l.starts_with("Bergen op Zoom"))
        .expect("a row for Bergen op Zoom");
    assert_eq!(
        row.matches(['●', '◐', '○']).count(),
        10,
        "a status for each category: {row}"
    );

    let (ok, csv, _) = run(
        dir.path(),
        &["coverage", "--region", "JZ36", "--format", "csv"],
    );
    assert!(ok);
    assert_eq!(csv.lines().count(), 1 + 9 * 10);
    let (ok, json, _) = run(
        dir.path(),
        &["coverage", "--region", "JZ07", "--format", "json"],
    );
    assert!(ok);
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(value["region"]["code"], "JZ07");

    let (ok, _, err) = run(dir.path(), &["coverage", "--region", "JZ01"]);
    assert!(!ok);
    assert!(err.contains("no basic set"), "{err}");
    let (ok, _, err) = run(dir.path(), &["coverage", "--region", "JZ99"]);
    assert!(!ok);
    assert!(err.contains("no region JZ99"), "{err}");
}

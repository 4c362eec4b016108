//! The curator's toolkit from the command line: init, spreadsheets in and out, search,
//! browse, and reports over the query log.

use super::common::{succeed, wenda};

#[test]
fn init_starts_a_directory_that_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new-kb");
    let out = succeed(wenda().arg("init").arg(&dir));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("wenda.toml") && text.contains("faq.csv"),
        "{text}"
    );
    let out = succeed(wenda().args(["check", "--strict", "--kb"]).arg(&dir));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 0 error(s), 0 warning(s)"));
    // A second init refuses (exit 2) and names the existing file.
    let out = wenda().arg("init").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exist"));
}

//! The library's modules import one way: each may use only modules of lower layers. The
//! order is written once, in the layer table of `ARCHITECTURE.md`; this test reads it and
//! every `crate::…` path in `src/` (the CLI in `src/bin/` uses the public API only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Module → layer, from the table between the `layers:begin` and `layers:end` markers.
fn layer_table() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = text
        .find("<!-- layers:begin -->")
        .expect("layers:begin marker");
    let end = text.find("<!-- layers:end -->").expect("layers:end marker");
    let mut table = BTreeMap::new();
    for row in text[start..end].lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let Ok(layer) = cells[0].parse::<usize>() else {
            continue; // header and separator rows
        };
        for module in cells[1].split(',') {
            let module = module.trim().trim_matches('`');
            assert!(
                table.insert(module.to_string(), layer).is_none(),
                "{module} is listed twice"
            );
        }
    }
    assert!(table.len() > 10, "the layer table lists too few modules");
    table
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bin") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/bot/build.rs` → `bot`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(root().join("src")).expect("under src");
    let first = rel.components().next().expect("non-empty");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

/// The code of a line: comments (and so doc comments and their examples) left out.
fn code(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Every `crate::NAME` in `line`: (NAME, whether it is a module path `crate::name::…` or
/// a `use crate::{…}` group).
fn crate_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let preceded = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // e.g. `$crate::` or `my_crate::`
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '{')
            .collect();
        out.push(name);
    }
    out
}

#[test]
fn modules_import_only_lower_layers() {
    let table = layer_table();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(file);
        if module == "lib" {
            continue;
        }
        let Some(&layer) = table.get(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is not in ARCHITECTURE.md's layer table",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read source");
        for (n, line) in text.lines().enumerate() {
            for name in crate_paths(code(line)) {
                let at = format!("{}:{}", file.display(), n + 1);
                if name.starts_with('{') || name.starts_with(|c: char| c.is_uppercase()) {
                    wrong.push(format!(
                        "{at}: `crate::{name}` imports through the crate root's re-exports; import from the defining module"
                    ));
                    continue;
                }
                if name == module {
                    continue;
                }
                match table.get(&name) {
                    None => wrong.push(format!("{at}: `crate::{name}` is not a listed module")),
                    Some(&other) if other >= layer => wrong.push(format!(
                        "{at}: `{module}` (layer {layer}) imports `{name}` (layer {other}); a module may import only lower layers"
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_table_lists_every_module_of_lib_rs() {
    let table = layer_table();
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("lib.rs");
    for line in lib.lines().map(str::trim) {
        let decl = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "));
        if let Some(name) = decl.and_then(|d| d.strip_suffix(';')) {
            assert!(
                table.contains_key(name),
                "src/lib.rs declares `{name}`, which ARCHITECTURE.md's layer table does not place"
            );
        }
    }
}

#[test]
fn the_checker_sees_a_back_edge() {
    // The scanner itself: a path into a module, a root re-export, a group, a macro path.
    assert_eq!(crate_paths("use crate::bot::Bot;"), ["bot"]);
    assert_eq!(crate_paths("let x: crate::Config = y;"), ["Config"]);
    assert_eq!(crate_paths("use crate::{a, b};"), ["{a"]);
    assert!(crate_paths("$crate::foo!()").is_empty());
    assert_eq!(code("let a = 1; // crate::bot"), "let a = 1; ");
}

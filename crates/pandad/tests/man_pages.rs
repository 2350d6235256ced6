//! The manual pages in `man/`: each renders with `groff -man -ww` without a warning, each
//! program's page names every option its `--help` lists, and `panda.toml(5)` names every
//! key of the configuration file and every value of its choices, read from the source of
//! `server::config`, so that neither can drift from the code.
//!
//! In CI (`CI=true`) a missing `groff` is a failure; elsewhere the rendering test says it
//! skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::have;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file in `man/`.
fn pages() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("man"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// A page's source with groff's escapes for `-` and quotes undone, to search for names.
fn page_text(name: &str) -> String {
    std::fs::read_to_string(repo().join("man").join(name))
        .unwrap()
        .replace("\\-", "-")
        .replace("\\(dq", "\"")
}

#[test]
fn every_page_renders_without_a_warning() {
    if !have("groff", "every_page_renders_without_a_warning") {
        return;
    }
    let pages = pages();
    for name in ["imapd.8", "ipop3d.8", "pandad.8", "panda.toml.5"] {
        assert!(
            pages.iter().any(|p| p.ends_with(name)),
            "man/{name} is missing"
        );
    }
    for page in pages {
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {err}", page.display());
        assert!(err.is_empty(), "{}: groff warns:\n{err}", page.display());
    }
}

#[test]
fn pages_name_every_option() {
    for (program, page) in [
        (env!("CARGO_BIN_EXE_imapd"), "imapd.8"),
        (env!("CARGO_BIN_EXE_ipop3d"), "ipop3d.8"),
        (env!("CARGO_BIN_EXE_pandad"), "pandad.8"),
    ] {
        let out = Command::new(program).arg("--help").output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        let text = page_text(page);
        let options = long_options(&help);
        assert!(options.len() >= 3, "{program}: {options:?}");
        for o in options {
            assert!(text.contains(&o), "man/{page} does not name {o}");
        }
    }
}

/// The `--name` words of a help text.
fn long_options(help: &str) -> Vec<String> {
    let mut out: Vec<String> = help
        .split(|c: char| c.is_whitespace() || c == ',' || c == '`')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_owned()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn panda_toml_page_names_every_key_and_choice() {
    let source = std::fs::read_to_string(repo().join("crates/server/src/config.rs")).unwrap();
    let schema = Schema::read(&source);
    assert!(
        schema.keys.len() >= 20,
        "the reading of config.rs found {:?}",
        schema.keys
    );
    assert!(schema.keys.iter().any(|k| k == "hostname"));
    assert!(schema.values.iter().any(|v| v == "tls-only"));
    let text = page_text("panda.toml.5");
    let lines: Vec<&str> = text.lines().collect();
    for key in &schema.keys {
        let entry = lines.contains(&format!(".B {key}").as_str());
        let table = text.contains(&format!("[{key}]")) || text.contains(&format!(".{key}]"));
        assert!(
            entry || table,
            "man/panda.toml.5 has no entry for the key {key}"
        );
    }
    for value in &schema.values {
        assert!(
            has_word(&text, value),
            "man/panda.toml.5 does not name the value {value}"
        );
    }
}

/// What `config.rs` lets a file say: the fields of every deserialized struct (less those
/// skipped) and the values of every deserialized enum of unit variants.
#[derive(Debug, Default)]
struct Schema {
    keys: Vec<String>,
    values: Vec<String>,
}

impl Schema {
    fn read(source: &str) -> Schema {
        let mut schema = Schema::default();
        // Attribute lines seen since the last item.
        let mut attrs: Vec<&str> = Vec::new();
        let mut inside: Option<(Kind, Vec<&str>)> = None;
        for line in source.lines() {
            let t = line.trim();
            if t.starts_with("#[cfg(test)]") {
                break;
            }
            if let Some((kind, outer)) = &inside {
                if line.starts_with('}') {
                    inside = None;
                    attrs.clear();
                    continue;
                }
                if t.starts_with("#[") {
                    attrs.push(t);
                    continue;
                }
                if t.starts_with("//") || t.is_empty() {
                    continue;
                }
                match kind {
                    Kind::Struct => {
                        if let Some(rest) = t.strip_prefix("pub ")
                            && let Some((name, _)) = rest.split_once(':')
                            && !attrs.iter().any(|a| a.contains("serde(skip"))
                        {
                            schema.keys.push(renamed(&attrs).unwrap_or(name).to_owned());
                        }
                    }
                    Kind::Enum => {
                        if let Some(name) = t.strip_suffix(',')
                            && name.chars().all(|c| c.is_ascii_alphanumeric())
                        {
                            let value = match renamed(&attrs) {
                                Some(v) => v.to_owned(),
                                None => case(name, outer),
                            };
                            schema.values.push(value);
                        }
                    }
                }
                attrs.clear();
                continue;
            }
            if t.starts_with("#[") {
                attrs.push(t);
            } else if t.starts_with("pub struct ") && t.ends_with('{') {
                inside = deserialized(&attrs).then(|| (Kind::Struct, attrs.clone()));
                attrs.clear();
            } else if t.starts_with("pub enum ") && t.ends_with('{') {
                inside = deserialized(&attrs).then(|| (Kind::Enum, attrs.clone()));
                attrs.clear();
            } else if !t.starts_with("///") {
                attrs.clear();
            }
        }
        schema
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Struct,
    Enum,
}

fn deserialized(attrs: &[&str]) -> bool {
    attrs
        .iter()
        .any(|a| a.starts_with("#[derive(") && a.contains("Deserialize"))
}

/// A `#[serde(rename = "…")]` among `attrs`.
fn renamed<'a>(attrs: &[&'a str]) -> Option<&'a str> {
    attrs.iter().find_map(|a| {
        let rest = a.split_once("rename = \"")?.1;
        Some(rest.split_once('"')?.0)
    })
}

/// A variant's name as the enum's `rename_all` writes it.
fn case(variant: &str, attrs: &[&str]) -> String {
    let kebab = attrs
        .iter()
        .any(|a| a.contains("rename_all = \"kebab-case\""));
    let mut out = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && kebab {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Whether `word` stands alone in `text` (not inside a longer name).
fn has_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

#[test]
fn the_reading_of_config_rs_finds_keys_and_values() {
    let schema = Schema::read(
        "#[derive(Debug, Deserialize)]\n#[serde(deny_unknown_fields)]\npub struct A {\n    /// Doc.\n    #[serde(default)]\n    pub one: u8,\n    #[serde(skip)]\n    pub hidden: u8,\n    #[serde(rename = \"other\")]\n    pub two: u8,\n}\n\
         #[derive(Debug)]\npub struct NotRead {\n    pub no: u8,\n}\n\
         #[derive(Deserialize)]\n#[serde(rename_all = \"kebab-case\")]\npub enum E {\n    /// Doc.\n    #[default]\n    TlsOnly,\n    Never,\n}\n",
    );
    assert_eq!(schema.keys, ["one", "other"]);
    assert_eq!(schema.values, ["tls-only", "never"]);
    assert!(has_word("a tls-only b", "tls-only"));
    assert!(!has_word("a tls-only b", "tls"));
}

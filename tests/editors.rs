//! The editor files: the VS Code manifest names files that exist inside the extension (so a
//! package cannot lose its grammar), the grammar is the only copy and highlights every keyword
//! of the language, and the extension carries its licence.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn vscode() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode")
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A path of the manifest, inside the extension folder.
fn inside(rel: &str) -> PathBuf {
    let rel = rel.strip_prefix("./").unwrap_or(rel);
    assert!(
        !rel.starts_with("..") && !rel.starts_with('/'),
        "`{rel}` lies outside the extension: vsce would leave it out"
    );
    vscode().join(rel)
}

#[test]
fn the_manifest_names_files_that_exist_inside_the_extension() {
    let manifest = json(&vscode().join("package.json"));
    let grammars = manifest["contributes"]["grammars"]
        .as_array()
        .expect("contributes.grammars");
    assert_eq!(grammars.len(), 1);
    let grammar = json(&inside(
        grammars[0]["path"].as_str().expect("a grammar path"),
    ));
    assert_eq!(grammar["scopeName"], grammars[0]["scopeName"]);
    for lang in manifest["contributes"]["languages"]
        .as_array()
        .expect("languages")
    {
        let config = lang["configuration"].as_str().expect("a configuration");
        json(&inside(config));
    }
    // No second copy of the grammar to drift.
    let editors = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors");
    assert!(!editors.join("camp.tmLanguage.json").exists());
}

#[test]
fn the_grammar_highlights_every_keyword() {
    let grammar = json(&vscode().join("syntaxes/camp.tmLanguage.json"));
    // Keywords, constants (`true`, `all`) and word operators (`and`, `is`) all count.
    let words: Vec<String> = ["keyword", "constant", "operator"]
        .iter()
        .filter_map(|rule| grammar["repository"][rule]["match"].as_str())
        .flat_map(|pattern| {
            pattern
                .split(['(', ')', '|', ':', '?', '<', '!', '[', ']'])
                .map(|w| w.replace('\\', ""))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(words.iter().any(|w| w == "campaign"), "{words:?}");
    let missing: Vec<&str> = camp::syntax::keywords::RESERVED
        .iter()
        .copied()
        .filter(|k| !words.iter().any(|w| w == k))
        .collect();
    assert!(missing.is_empty(), "not highlighted: {missing:?}");
}

#[test]
fn the_extension_carries_the_crate_licence() {
    let manifest = json(&vscode().join("package.json"));
    let cargo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .expect("Cargo.toml");
    assert!(cargo.contains("license = \"MIT\""));
    assert_eq!(manifest["license"], "MIT");
    let licence =
        std::fs::read_to_string(vscode().join("LICENSE")).expect("editors/vscode/LICENSE");
    assert!(licence.starts_with("MIT License"), "{licence}");
    let ignore = std::fs::read_to_string(vscode().join(".vscodeignore")).expect(".vscodeignore");
    assert!(
        ignore.lines().any(|l| l.trim() == "node_modules/**"),
        "{ignore}"
    );
    let main = manifest["main"].as_str().expect("main");
    assert!(
        manifest["scripts"]["vscode:prepublish"].is_string(),
        "`{main}` is built before packaging"
    );
}

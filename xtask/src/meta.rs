//! What `cargo metadata` says about the workspace: its members, which are published, their
//! features, test targets and foreign (non-workspace) dependencies.

use std::path::PathBuf;

use crate::cmd::{self, Error, cargo};
use crate::json::Json;

/// One workspace member, as `cargo metadata` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) dir: PathBuf, // of its Cargo.toml
    /// `publish` is not `false` (`[]` in the metadata).
    pub(crate) published: bool,
    /// Its features, `default` excluded, in manifest order.
    pub(crate) features: Vec<String>,
    /// The names of its integration-test targets (`[[test]]` and `tests/*.rs`, `tests/*/main.rs`).
    pub(crate) tests: Vec<String>,
    /// Whether it has a library target.
    pub(crate) has_lib: bool,
    /// The names of its binary targets.
    pub(crate) bins: Vec<String>,
    /// Its normal (not dev, not build) dependencies from outside the workspace.
    pub(crate) foreign: Vec<Foreign>,
}

/// A dependency from outside the workspace, as code names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Foreign {
    /// The crate name in paths (`quick_xml`, `md5` for the package `md-5`, or the rename).
    pub(crate) path_name: String,
    /// Only enabled by a feature of ours.
    pub(crate) optional: bool,
}

/// Runs `cargo metadata --format-version 1 --locked` and reads the workspace members.
pub(crate) fn workspace() -> Result<Vec<Member>, Error> {
    let out = cmd::output(cargo().args(["metadata", "--format-version", "1", "--locked"]))
        .ok_or_else(|| Error::new("`cargo metadata --format-version 1 --locked` failed"))?;
    members(&Json::parse(&out)?)
}

/// The members of a `cargo metadata` document, in `workspace_members` order.
pub(crate) fn members(doc: &Json) -> Result<Vec<Member>, Error> {
    let packages = doc
        .get("packages")
        .ok_or_else(|| Error::new("cargo metadata: no `packages`"))?
        .items();
    let ids: Vec<&str> = doc
        .get("workspace_members")
        .map(Json::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Json::as_str)
        .collect();
    let by_id = |id: &str| {
        packages
            .iter()
            .find(|p| p.get("id").and_then(Json::as_str) == Some(id))
    };
    let by_name = |name: &str| {
        packages
            .iter()
            .find(|p| p.get("name").and_then(Json::as_str) == Some(name))
    };
    let names: Vec<&str> = ids
        .iter()
        .filter_map(|id| by_id(id)?.get("name")?.as_str())
        .collect();
    let mut out = Vec::new();
    for id in &ids {
        let p = by_id(id).ok_or_else(|| Error::new(format!("cargo metadata: no package {id}")))?;
        let text = |key: &str| p.get(key).and_then(Json::as_str).unwrap_or_default();
        let manifest = PathBuf::from(text("manifest_path"));
        let targets = p.get("targets").map(Json::items).unwrap_or_default();
        let kinds = |t: &Json| -> Vec<String> {
            let kinds = t.get("kind").map(Json::items).unwrap_or_default();
            kinds
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        };
        let mut foreign = Vec::new();
        for d in p.get("dependencies").map(Json::items).unwrap_or_default() {
            let dep = d.get("name").and_then(Json::as_str).unwrap_or_default();
            if d.get("kind") != Some(&Json::Null) || names.contains(&dep) {
                continue;
            }
            // The name code uses: the rename, else the dependency's library target name.
            let lib = by_name(dep)
                .and_then(|q| q.get("targets"))
                .map(Json::items)
                .unwrap_or_default()
                .iter()
                .find(|t| kinds(t).iter().any(|k| k == "lib" || k == "proc-macro"))
                .and_then(|t| t.get("name")?.as_str())
                .unwrap_or(dep);
            let path_name = d
                .get("rename")
                .and_then(Json::as_str)
                .unwrap_or(lib)
                .replace('-', "_");
            foreign.push(Foreign {
                path_name,
                optional: d.get("optional") == Some(&Json::Bool(true)),
            });
        }
        out.push(Member {
            name: text("name").to_owned(),
            dir: manifest.parent().map(PathBuf::from).unwrap_or_default(),
            published: p
                .get("publish")
                .is_none_or(|v| !v.items().is_empty() || *v == Json::Null),
            features: p
                .get("features")
                .map(Json::members)
                .unwrap_or_default()
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| k != "default")
                .collect(),
            tests: targets
                .iter()
                .filter(|t| kinds(t).iter().any(|k| k == "test"))
                .filter_map(|t| t.get("name")?.as_str().map(str::to_owned))
                .collect(),
            has_lib: targets.iter().any(|t| kinds(t).iter().any(|k| k == "lib")),
            bins: targets
                .iter()
                .filter(|t| kinds(t).iter().any(|k| k == "bin"))
                .filter_map(|t| t.get("name")?.as_str().map(str::to_owned))
                .collect(),
            foreign,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_features_tests_and_foreign_dependencies() {
        let doc = r#"{"packages":[
          {"name":"md-5","id":"md5-id","targets":[{"name":"md5","kind":["lib"]}],"dependencies":[]},
          {"name":"lib-a","id":"a-id","manifest_path":"/w/crates/lib-a/Cargo.toml","publish":null,
           "features":{"default":["serde"],"serde":["dep:serde"]},
           "targets":[{"name":"lib_a","kind":["lib"]},{"name":"it","kind":["test"]},{"name":"b","kind":["bench"]}],
           "dependencies":[
             {"name":"md-5","kind":null,"optional":false,"rename":null},
             {"name":"serde","kind":null,"optional":true,"rename":null},
             {"name":"base64","kind":null,"optional":false,"rename":"b64"},
             {"name":"proptest","kind":"dev","optional":false,"rename":null},
             {"name":"tool-b","kind":null,"optional":false,"rename":null}]},
          {"name":"tool-b","id":"b-id","manifest_path":"/w/xtask/Cargo.toml","publish":[],
           "features":{},"targets":[{"name":"tool-b","kind":["bin"]}],"dependencies":[]}],
          "workspace_members":["a-id","b-id"]}"#;
        let m = members(&Json::parse(doc).unwrap()).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "lib-a");
        assert_eq!(m[0].dir, PathBuf::from("/w/crates/lib-a"));
        assert!(m[0].published && m[0].has_lib);
        assert_eq!(m[0].features, ["serde"]);
        assert_eq!(m[0].tests, ["it"]);
        assert!(m[0].bins.is_empty());
        assert_eq!(m[1].bins, ["tool-b"]);
        let names: Vec<(&str, bool)> = m[0]
            .foreign
            .iter()
            .map(|f| (f.path_name.as_str(), f.optional))
            .collect();
        // md-5's library is `md5`; a rename wins; dev and workspace dependencies are left out.
        assert_eq!(names, [("md5", false), ("serde", true), ("b64", false)]);
        assert!(!m[1].published && !m[1].has_lib && m[1].tests.is_empty());
    }
}

//! `cargo xtask ci`'s `tidy` step: rules of the repository that no compiler checks.
//!
//! - **No foreign type in a public signature.** A source scan of every published crate's
//!   `src/**/*.rs`: every `pub` item (not `pub(crate)` and the like, which the workspace's
//!   `unreachable_pub` lint keeps honest, so `pub` means reachable) — function signatures,
//!   struct headers and `pub` fields, tuple-struct `pub` fields, whole enums, type aliases, the
//!   types of constants and statics, `pub use` re-exports — and every `impl` header must not name
//!   a path of a non-workspace dependency (`quick_xml::…`, `sha2::…`) nor a name imported from one
//!   (`use quick_xml::Reader;` … `Reader`). Implementations of a trait of an *optional*
//!   dependency (`impl serde::Serialize for X` behind the `serde` feature) are allowed: a trait
//!   impl adds no signature of ours, and the feature is the user's opt-in to that crate's
//!   version. Items under `#[cfg(test)]` are skipped.
//! - **One integration-test binary per crate**: a crate's only test target is `it`
//!   (`tests/it/main.rs`).
//! - **README examples run**: each published library's `src/lib.rs` takes its README as crate
//!   docs, and no README marks a Rust example `ignore` or `no_run`.

use std::path::{Path, PathBuf};

use crate::ci::Outcome;
use crate::cmd::{self, Error};
use crate::meta::{self, Member};

/// Runs both checks over the workspace; fails listing every violation.
pub(crate) fn run() -> Result<Outcome, Error> {
    let members = meta::workspace()?;
    let mut problems = Vec::new();
    let mut files = 0;
    for m in members.iter().filter(|m| m.published && m.has_lib) {
        let foreign: Vec<&str> = m.foreign.iter().map(|f| f.path_name.as_str()).collect();
        let optional: Vec<&str> = m
            .foreign
            .iter()
            .filter(|f| f.optional)
            .map(|f| f.path_name.as_str())
            .collect();
        let mut sources = Vec::new();
        for path in rust_files(&m.dir.join("src"))? {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::new(format!("reading {}: {e}", path.display())))?;
            sources.push((path, text));
        }
        let stripped: Vec<String> = sources.iter().map(|(_, t)| strip(t)).collect();
        let public: Vec<&str> = stripped.iter().flat_map(|t| public_types(t)).collect();
        for (path, text) in &sources {
            files += 1;
            let shown = path.strip_prefix(cmd::root()).unwrap_or(path).display();
            for v in scan(text, &foreign, &optional, &public) {
                problems.push(format!("{shown}:{}: {v}", v.line));
            }
        }
    }
    problems.extend(test_layout(&members));
    problems.extend(readme_examples(&members)?);
    if problems.is_empty() {
        Ok(Outcome::Note(format!(
            "{files} files: no foreign type in public signatures; layout, READMEs ok"
        )))
    } else {
        Err(Error::new(format!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        )))
    }
}

/// README examples that would not run as doctests: a crate's README must be its crate docs
/// (`#![doc = include_str!("../README.md")]` in `src/lib.rs`), and no README (the root one
/// included, which omadm-cli runs under `cfg(doctest)`) may mark a Rust example `ignore` or
/// `no_run`.
fn readme_examples(members: &[Member]) -> Result<Vec<String>, Error> {
    let mut problems = Vec::new();
    let mut readmes = vec![cmd::root().join("README.md")];
    for m in members.iter().filter(|m| m.published && m.has_lib) {
        let lib = m.dir.join("src").join("lib.rs");
        let text = std::fs::read_to_string(&lib)
            .map_err(|e| Error::new(format!("reading {}: {e}", lib.display())))?;
        if !text.contains("#![doc = include_str!(\"../README.md\")]") {
            problems.push(format!(
                "{}: src/lib.rs does not include README.md as its crate docs",
                m.name
            ));
        }
        readmes.push(m.dir.join("README.md"));
    }
    for path in readmes {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::new(format!("reading {}: {e}", path.display())))?;
        let shown = path.strip_prefix(cmd::root()).unwrap_or(&path).display();
        for (n, line) in text.lines().enumerate() {
            if let Some(info) = line.trim_start().strip_prefix("```")
                && info
                    .split(',')
                    .any(|w| matches!(w.trim(), "ignore" | "no_run"))
            {
                problems.push(format!(
                    "{shown}:{}: an example marked `{info}` does not run",
                    n + 1
                ));
            }
        }
    }
    Ok(problems)
}

/// Crates whose integration tests are not exactly the one `it` binary.
fn test_layout(members: &[Member]) -> Vec<String> {
    members
        .iter()
        .filter(|m| m.tests.iter().any(|t| t != "it"))
        .map(|m| {
            format!(
                "{}: test targets {:?}; one integration-test binary per crate (tests/it/main.rs), see docs/TESTING.md",
                m.name, m.tests
            )
        })
        .collect()
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| Error::new(format!("reading {}: {e}", d.display())))?;
        for entry in entries {
            let path = entry
                .map_err(|e| Error::new(format!("reading {}: {e}", d.display())))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A foreign name found in a public signature.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Violation {
    pub(crate) line: usize,
    /// What kind of item (`fn`, `field`, `use`, `impl`, ...).
    pub(crate) item: &'static str,
    /// The foreign path or imported name.
    pub(crate) name: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` from a foreign crate in a public {} signature",
            self.name, self.item
        )
    }
}

/// The names of the crate's `pub` types and traits declared in `stripped` (a [`strip`]ped file).
fn public_types(stripped: &str) -> Vec<&str> {
    let toks = without_cfg_test(&tokens(stripped));
    toks.windows(3)
        .filter(|w| {
            w[0].text == "pub"
                && matches!(w[1].text, "struct" | "enum" | "union" | "type" | "trait")
        })
        .map(|w| w[2].text)
        .collect()
}

/// Scans one source file. `foreign`: the crate names of the non-workspace dependencies, as
/// paths spell them; `optional`: those only a feature enables (their traits may be implemented);
/// `public`: the crate's `pub` type names (an `impl` for another type is not public API).
pub(crate) fn scan(
    source: &str,
    foreign: &[&str],
    optional: &[&str],
    public: &[&str],
) -> Vec<Violation> {
    let stripped = strip(source);
    let toks = without_cfg_test(&tokens(&stripped));
    // Copies whose element lifetime can shrink to the tokens' (so `contains` type-checks).
    let (foreign, optional, public) = (foreign.to_vec(), optional.to_vec(), public.to_vec());
    let imported = imported_names(&toks, &foreign);
    let is_foreign = |i: usize| -> Option<String> {
        let t = toks[i].text;
        let after_path = i > 0 && matches!(toks[i - 1].text, "::" | ".");
        if after_path {
            return None;
        }
        let next_is_path = toks.get(i + 1).is_some_and(|n| n.text == "::");
        if foreign.contains(&t) && next_is_path {
            return Some(format!("{t}::"));
        }
        imported
            .iter()
            .find(|(name, _)| *name == t)
            .map(|(name, krate)| format!("{name} (use {krate}::…)"))
    };
    let mut out = Vec::new();
    let report = |range: std::ops::Range<usize>, item: &'static str, out: &mut Vec<Violation>| {
        for i in range {
            if let Some(name) = is_foreign(i) {
                out.push(Violation {
                    line: toks[i].line,
                    item,
                    name,
                });
            }
        }
    };
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].text;
        let item_start = i == 0 || matches!(toks[i - 1].text, "{" | "}" | ";" | "]");
        if t == "impl" && item_start {
            let end = until(&toks, i + 1, &["{", ";"]);
            let trait_krate = impl_trait_root(&toks[i + 1..end]);
            let trait_foreign = trait_krate.and_then(|k| {
                foreign.contains(&k).then_some(k).or_else(|| {
                    imported
                        .iter()
                        .find(|(name, _)| *name == k)
                        .map(|(_, krate)| *krate)
                })
            });
            let for_public = impl_self_type(&toks[i + 1..end])
                .is_none_or(|t| public.contains(&t) || foreign.contains(&t));
            if for_public && !trait_foreign.is_some_and(|k| optional.contains(&k)) {
                report(i + 1..end, "impl", &mut out);
            }
            i = end;
            continue;
        }
        if t != "pub" || toks.get(i + 1).is_some_and(|n| n.text == "(") {
            i += 1;
            continue;
        }
        // Skip a function's qualifiers (`const`, `unsafe`, `async`, `extern "C"`) to `fn`.
        let qualifier = |t: Option<&Tok<'_>>| {
            t.is_some_and(|n| matches!(n.text, "const" | "unsafe" | "async" | "extern" | "\"\""))
        };
        let mut k = i + 1;
        while qualifier(toks.get(k))
            && (qualifier(toks.get(k + 1)) || toks.get(k + 1).is_some_and(|n| n.text == "fn"))
        {
            k += 1;
        }
        let Some(kw) = toks.get(k) else { break };
        match kw.text {
            "fn" => {
                let end = until(&toks, k, &["{", ";"]);
                report(k..end, "fn", &mut out);
                i = end;
            }
            "struct" | "union" => {
                let end = until(&toks, k, &["{", ";"]);
                // A tuple struct: only its `pub` fields are public.
                let mut j = k;
                while j < end {
                    if toks[j].text == "(" && toks[j - 1].is_ident() {
                        let close = matching(&toks, j);
                        report(k..j, "struct", &mut out);
                        for (a, b) in fields(&toks, j + 1, close) {
                            if toks[a].text == "pub"
                                && toks.get(a + 1).is_none_or(|n| n.text != "(")
                            {
                                report(a..b, "field", &mut out);
                            }
                        }
                        j = close;
                        report(close..end, "struct", &mut out);
                        break;
                    }
                    j += 1;
                }
                if j >= end {
                    report(k..end, "struct", &mut out);
                }
                i = end;
            }
            "enum" => {
                let open = until(&toks, k, &["{"]);
                let close = matching(&toks, open);
                report(k..close, "enum", &mut out);
                i = close;
            }
            "trait" => {
                let open = until(&toks, k, &["{", ";"]);
                let close = matching(&toks, open);
                report(k..close, "trait", &mut out);
                i = close;
            }
            "type" => {
                let end = until(&toks, k, &[";"]);
                report(k..end, "type", &mut out);
                i = end;
            }
            "const" | "static" => {
                let end = until(&toks, k, &["=", ";"]);
                let item = if kw.text == "const" {
                    "const"
                } else {
                    "static"
                };
                report(k..end, item, &mut out);
                i = end;
            }
            "use" => {
                let end = until(&toks, k, &[";"]);
                let root = toks[k + 1..end]
                    .iter()
                    .find(|t| t.text != "::")
                    .map(|t| t.text);
                if let Some(root) = root.filter(|r| foreign.contains(r)) {
                    out.push(Violation {
                        line: toks[k].line,
                        item: "use",
                        name: format!("{root}::"),
                    });
                }
                i = end;
            }
            "mod" | "crate" | "self" | "super" | "in" => i = k + 1,
            _ if kw.is_ident() && toks.get(k + 1).is_some_and(|n| n.text == ":") => {
                // A `pub` field: its type runs to the next `,` or the closing brace.
                let end = until(&toks, k, &[",", "}", ")"]);
                report(k + 1..end, "field", &mut out);
                i = end;
            }
            _ => i = k + 1,
        }
    }
    out
}

/// An `impl` header (the tokens after `impl`) split at its parts: where the trait or type
/// starts (past the impl's own generics) and where `for` is, if it is a trait impl.
fn impl_parts(header: &[Tok<'_>]) -> (usize, Option<usize>) {
    let mut depth = 0i32;
    let mut start = 0;
    for (j, t) in header.iter().enumerate() {
        match t.text {
            "<" => depth += 1,
            ">" => {
                depth -= 1;
                if depth == 0 && start == 0 && header[0].text == "<" {
                    start = j + 1;
                }
            }
            "for" if depth == 0 && header.get(j + 1).is_none_or(|n| n.text != "<") => {
                return (start, Some(j));
            }
            _ => {}
        }
    }
    (start, None)
}

/// The first segment of the trait path of a trait impl's header: `<T: X> serde::Serialize for
/// Y` gives `serde`; `Serialize for Y`, `Serialize`; an inherent impl, `None`.
fn impl_trait_root<'a>(header: &[Tok<'a>]) -> Option<&'a str> {
    let (start, for_at) = impl_parts(header);
    header[start..for_at?]
        .iter()
        .find(|t| t.is_ident() && !matches!(t.text, "dyn" | "unsafe"))
        .map(|t| t.text)
}

/// The first name of the type an `impl` header is for.
fn impl_self_type<'a>(header: &[Tok<'a>]) -> Option<&'a str> {
    let (start, for_at) = impl_parts(header);
    header[for_at.map_or(start, |f| f + 1)..]
        .iter()
        .find(|t| t.is_ident() && !matches!(t.text, "dyn" | "mut"))
        .map(|t| t.text)
}

/// The index of the first of `stops` at bracket depth 0 from `from` (the token count if none).
fn until(toks: &[Tok<'_>], from: usize, stops: &[&str]) -> usize {
    let mut depth = 0i32;
    for (j, t) in toks.iter().enumerate().skip(from) {
        if depth == 0 && stops.contains(&t.text) {
            return j;
        }
        match t.text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                if depth == 0 {
                    return j;
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    toks.len()
}

/// The index of the bracket closing the one at `open` (the token count if none).
fn matching(toks: &[Tok<'_>], open: usize) -> usize {
    until(toks, open + 1, &[]).min(toks.len())
}

/// The comma-separated ranges between `from` and `to` at depth 0.
fn fields(toks: &[Tok<'_>], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut a = from;
    while a < to {
        let b = until(toks, a, &[","]).min(to);
        out.push((a, b));
        a = b + 1;
    }
    out
}

/// Local names bound by `use` declarations to items of foreign crates, with the crate.
fn imported_names<'a>(toks: &[Tok<'a>], foreign: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if t.text != "use" {
            continue;
        }
        let end = until(toks, i + 1, &[";"]);
        let mut j = i + 1;
        if toks.get(j).is_some_and(|t| t.text == "::") {
            j += 1;
        }
        let Some(root) = toks.get(j).map(|t| t.text) else {
            continue;
        };
        let Some(&krate) = foreign.iter().find(|f| **f == root) else {
            continue;
        };
        // Leaves of the use tree: an identifier followed by `,`, `}` or the end; `x as y`
        // binds `y` (`_` binds nothing); `self` binds the segment before it.
        for k in j..end {
            let name = toks[k].text;
            let next = toks.get(k + 1).map_or(";", |n| n.text);
            if !toks[k].is_ident() || name == "as" || !matches!(next, "," | "}" | ";" | "as") {
                continue;
            }
            if k > 0 && toks[k - 1].text == "as" {
                if name != "_" {
                    out.push((name, krate));
                }
                continue;
            }
            if next == "as" {
                continue;
            }
            let bound = if name == "self" {
                // `a::{self, …}`: the segment before the brace.
                toks[..k]
                    .iter()
                    .rev()
                    .find(|t| t.is_ident())
                    .map_or(name, |t| t.text)
            } else {
                name
            };
            out.push((bound, krate));
        }
    }
    out
}

/// Drops every item that follows `#[cfg(test)]` (through its closing brace or semicolon).
fn without_cfg_test<'a>(toks: &[Tok<'a>]) -> Vec<Tok<'a>> {
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let is_cfg_test = toks.len() >= i + 7
            && toks[i..i + 7]
                .iter()
                .map(|t| t.text)
                .eq(["#", "[", "cfg", "(", "test", ")", "]"]);
        if is_cfg_test {
            let end = until(toks, i + 7, &["{", ";"]);
            i = if toks.get(end).is_some_and(|t| t.text == "{") {
                matching(toks, end) + 1
            } else {
                end + 1
            };
            continue;
        }
        out.push(toks[i]);
        i += 1;
    }
    out
}

#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    text: &'a str,
    line: usize,
}

impl Tok<'_> {
    fn is_ident(&self) -> bool {
        self.text
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
    }
}

/// Identifiers (and lifetimes, numbers) as one token each, `::` as one, any other character as
/// one; whitespace separates.
fn tokens(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\n' {
            line += 1;
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let mut end = at + c.len_utf8();
        if c.is_alphanumeric() || c == '_' || c == '\'' {
            while let Some(&(j, d)) = chars.peek() {
                if !(d.is_alphanumeric() || d == '_') {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
        } else if c == ':' && chars.peek().is_some_and(|&(_, d)| d == ':') {
            chars.next();
            end += 1;
        } else if c == '"' {
            // `strip` left string literals as `""`.
            if chars.peek().is_some_and(|&(_, d)| d == '"') {
                chars.next();
                end += 1;
            }
        }
        out.push(Tok {
            text: &text[at..end],
            line,
        });
    }
    out
}

/// The source with comments removed and the contents of string and character literals dropped
/// (a string becomes `""`, a character `' '`), line breaks kept so lines still count.
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let newlines = |s: &[u8], out: &mut String| {
        out.extend(s.iter().filter(|&&c| c == b'\n').map(|_| '\n'));
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                newlines(&b[start..i.min(b.len())], &mut out);
            }
            b'r' | b'b' if !prev_is_ident(b, i) && raw_string_hashes(&b[i..]).is_some() => {
                let (prefix, hashes) = raw_string_hashes(&b[i..]).unwrap_or((0, 0));
                let start = i;
                i += prefix;
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                while i < b.len() && !b[i..].starts_with(&close) {
                    i += 1;
                }
                i = (i + close.len()).min(b.len());
                out.push_str("\"\"");
                newlines(&b[start..i], &mut out);
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.push_str("\"\"");
                newlines(&b[start..i], &mut out);
            }
            b'\'' if !prev_is_ident(b, i) || is_byte_prefix(b, i) => {
                // A character literal (`'x'`, `'\n'`, `'\u{1F600}'`, `b'"'`) or a lifetime (`'a`).
                let rest = &src[i + 1..];
                let mut cs = rest.chars();
                let literal_len = match (cs.next(), cs.next()) {
                    (Some('\\'), _) => rest.get(2..).and_then(|r| r.find('\'')).map(|n| n + 4),
                    (Some(c), Some('\'')) => Some(c.len_utf8() + 2),
                    _ => None,
                };
                match literal_len {
                    Some(n) => {
                        out.push_str("' '");
                        i += n;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            _ => {
                let c = src[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// `b` of a byte literal (`b'x'`), not the end of an identifier.
fn is_byte_prefix(b: &[u8], i: usize) -> bool {
    i > 0 && b[i - 1] == b'b' && !prev_is_ident(b, i - 1)
}

/// For `r"…"`, `r#"…"#`, `br"…"`: the prefix length through the opening quote and the
/// number of `#`s.
fn raw_string_hashes(s: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    if s.first() == Some(&b'b') {
        i += 1;
    }
    // `b"…"` has escapes: the plain string branch reads it.
    if s.get(i) != Some(&b'r') {
        return None;
    }
    i += 1;
    let hashes = s[i..].iter().take_while(|&&c| c == b'#').count();
    (s.get(i + hashes) == Some(&b'"')).then_some((i + hashes + 1, hashes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOREIGN: &[&str] = &["quick_xml", "sha2", "serde", "md5"];
    const OPTIONAL: &[&str] = &["serde"];

    fn found(src: &str) -> Vec<(usize, &'static str, String)> {
        scan(src, FOREIGN, OPTIONAL, &public_types(&strip(src)))
            .into_iter()
            .map(|v| (v.line, v.item, v.name))
            .collect()
    }

    #[test]
    fn catches_planted_violations() {
        let src = r#"
use quick_xml::{events::{self, Event}, Reader as XmlReader};
use sha2::Sha256;
pub fn decode(r: &mut XmlReader<&[u8]>) -> Option<Event<'_>> { None }
pub struct Hasher { pub state: sha2::Sha256, private: Sha256 }
pub struct Wrapped(pub Sha256, quick_xml::Error);
pub enum E { Xml(quick_xml::Error), Other }
pub use quick_xml::escape;
pub type Ev<'a> = events::BytesText<'a>;
pub const fn size() -> md5::Md5 { todo!() }
impl From<quick_xml::Error> for E { fn from(_: quick_xml::Error) -> Self { E::Other } }
"#;
        assert_eq!(
            found(src),
            [
                (4, "fn", "XmlReader (use quick_xml::…)".to_owned()),
                (4, "fn", "Event (use quick_xml::…)".to_owned()),
                (5, "field", "sha2::".to_owned()),
                (6, "field", "Sha256 (use sha2::…)".to_owned()),
                (7, "enum", "quick_xml::".to_owned()),
                (8, "use", "quick_xml::".to_owned()),
                (9, "type", "events (use quick_xml::…)".to_owned()),
                (10, "fn", "md5::".to_owned()),
                (11, "impl", "quick_xml::".to_owned()),
            ]
        );
    }

    #[test]
    fn allows_private_items_bodies_tests_comments_and_optional_trait_impls() {
        let src = r##"
//! Uses `quick_xml::Reader` inside.
use quick_xml::Reader;
use serde::Serialize;
use md5::Digest as _;
/// Returns a `sha2::Sha256` digest (docs may name it).
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    let mut r = Reader::from_reader(bytes);
    let s = "quick_xml::Reader";
    let raw = r#"sha2::Sha256"#;
    let c = '"';
    sha2::Sha256::digest(bytes).into()
}
pub(crate) fn inner(r: Reader<&[u8]>) {}
pub struct Model<'a> { pub name: &'a str, reader: Reader<&'a [u8]> }
pub struct Id(u32);
impl Serialize for Model<'_> {}
impl<'a> serde::Deserialize<'a> for Id {}
impl From<quick_xml::Error> for Private { fn from(_: quick_xml::Error) -> Self { Private } }
impl Model<'_> { pub fn name(&self) -> &str { self.name } fn r(&self) -> &Reader<&[u8]> { &self.reader } }
#[cfg(test)]
mod tests { pub fn helper() -> quick_xml::Reader<&'static [u8]> { todo!() } }
pub const MAX: usize = quick_xml::MAX;
"##;
        assert_eq!(found(src), []);
    }

    #[test]
    fn strip_keeps_lines_and_drops_literals() {
        let s = strip("a /* x\ny */ b // c\n\"d\\\"\ne\" 'f' '\\n' 'g r#\"h\"#");
        assert_eq!(s, "a \n b \n\"\"\n ' ' ' ' 'g \"\"");
    }

    #[test]
    fn the_layout_rule_wants_only_it() {
        let member = |tests: &[&str]| Member {
            name: "c".into(),
            dir: PathBuf::new(),
            published: true,
            features: Vec::new(),
            tests: tests.iter().map(|t| (*t).to_owned()).collect(),
            has_lib: true,
            bins: Vec::new(),
            foreign: Vec::new(),
        };
        assert!(test_layout(&[member(&["it"]), member(&[])]).is_empty());
        assert_eq!(test_layout(&[member(&["it", "alloc"])]).len(), 1);
    }
}

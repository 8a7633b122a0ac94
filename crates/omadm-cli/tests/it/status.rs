//! The operator's view of a real `omadm serve`: the status page (escaping of peer input), its
//! JSON API, Prometheus `/metrics` read by a strict parser of the exposition format, the logs
//! (JSON lines, sampled ignores, the summary line), and the page in headless Chromium.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    Dev, Server, bin, devs, get, get_with, post, server_toml, sign_in_message, template, write,
};

const DM: &str = "application/vnd.syncml.dm+xml";
/// Report data that would run script if a page pasted it in unescaped.
const HOSTILE: &str =
    "<script>document.title='pwned'</script><img src=x onerror=\"alert(1)\"> & 'q'";

/// One Alert item: Source, Meta (Format, Type, Mark) and CDATA data.
fn item(source: &str, alert_type: &str, mark: Option<&str>, data: &str) -> String {
    let mark = mark.map_or_else(String::new, |m| {
        format!("<Mark xmlns=\"syncml:metinf\">{m}</Mark>")
    });
    format!(
        "<Source><LocURI>{source}</LocURI></Source><Meta><Format xmlns=\"syncml:metinf\">chr</Format>\
         <Type xmlns=\"syncml:metinf\">{alert_type}</Type>{mark}</Meta><Data><![CDATA[{data}]]></Data>"
    )
}

/// A signed one-report message of `dev`.
fn signed(dev: &Dev, msg_id: u32, mark: Option<&str>, data: &str) -> Vec<u8> {
    let item = item("./Ext/Thermal", "urn:oma:mo:thermal:1.0", mark, data);
    sign_in_message(&template(dev, msg_id, &item), dev)
}

fn post_dm(server: &Server, body: &[u8]) {
    assert_eq!(post(server.addr, "/dm", DM, &[], body), Some(204));
}

/// What [`demo_traffic`] sends: the data of each stored report, and the ignored counts.
struct Traffic {
    stored: Vec<String>,
    ignored: BTreeMap<&'static str, u64>,
}

/// Traffic like `omadm demo`'s: a valid report from each of three devices (one of them with
/// [`HOSTILE`] data), then a replay, a forgery, a tampered message, an unknown device, an
/// oversize body and a wrong media type.
fn demo_traffic(server: &Server, good: &[Dev]) -> Traffic {
    let mut stored = Vec::new();
    for (i, dev) in good.iter().enumerate() {
        let data = if i == 1 {
            HOSTILE.to_owned()
        } else {
            format!("t={}C; zone=cpu", 61 + i)
        };
        let body = signed(dev, 1, Some("warning"), &data);
        post_dm(server, &body);
        stored.push(data);
    }
    // Replayed: the first message again.
    post_dm(server, &signed(&good[0], 1, Some("warning"), &stored[0]));
    // Forged: a wrong secret.
    let mut forger = good[0].clone();
    forger.secret = format!("not-{}", forger.secret);
    post_dm(server, &signed(&forger, 2, None, "42"));
    // Tampered: one byte of the data changed after signing.
    let mut tampered = signed(&good[2], 2, None, "t=70C");
    let at = tampered.windows(4).position(|w| w == b"t=70").unwrap();
    tampered[at + 2] = b'9';
    post_dm(server, &tampered);
    // Unknown device.
    let ghost = devs("ghost", 1).remove(0);
    post_dm(server, &signed(&ghost, 1, None, "boo"));
    // Oversize (the default MaxMsgSize is 16384).
    post_dm(server, &signed(&good[0], 3, None, &"x".repeat(20_000)));
    // Wrong media type.
    let ok = signed(&good[0], 4, None, "plain");
    assert_eq!(post(server.addr, "/dm", "text/plain", &[], &ok), Some(204));
    let ignored = BTreeMap::from([
        ("replayed", 1),
        ("bad-mac", 2),
        ("unknown-device", 1),
        ("too-large", 1),
        ("unsupported-media-type", 1),
    ]);
    Traffic { stored, ignored }
}

/// A server for three devices in `dir` (SQLite there), with `extra` flags and `env`.
fn serve(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Server, Vec<Dev>) {
    serve_on(dir, &dir.join("reports.sqlite"), extra, env)
}

/// [`serve`] with the store `db` (a SQLite path or a PostgreSQL URL).
fn serve_on(dir: &Path, db: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Server, Vec<Dev>) {
    let good = devs("dev", 3);
    let devices = write(dir, "server.toml", &server_toml(&good));
    let server = Server::start_with_env(&devices, db, extra, env);
    (server, good)
}

#[test]
fn the_page_shows_report_data_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let (server, good) = serve(dir.path(), &[], &[]);
    let traffic = demo_traffic(&server, &good);
    let (status, head, page) = get_with(server.metrics, "/", &[]).unwrap();
    assert_eq!(status, 200);
    assert!(head.contains("text/html"), "{head}");
    assert!(
        head.contains("default-src 'none'"),
        "a CSP forbids scripts: {head}"
    );
    // The hostile data is there, escaped, and nothing of it is markup.
    assert!(
        page.contains(
            "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;&lt;img src=x \
             onerror=&quot;alert(1)&quot;&gt; &amp; &#39;q&#39;"
        ),
        "{page}"
    );
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains("onerror=\""), "{page}");
    for data in &traffic.stored[..1] {
        assert!(page.contains(data.as_str()), "{data} missing");
    }
    for (reason, n) in &traffic.ignored {
        assert!(
            page.contains(&format!(
                "<tr data-reason=\"{reason}\"><td class=\"reason\">{reason}</td>"
            )),
            "{reason} row missing"
        );
        assert!(page.contains(&format!("data-total=\"{n}\">{n}</td>")));
    }
    // The JSON API carries the same data verbatim (JSON-encoded, not HTML-escaped).
    let (status, json) = get(server.metrics, "/api/reports").unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let data: Vec<&str> = v["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["data"].as_str().unwrap())
        .collect();
    assert_eq!(data.len(), 3);
    assert!(data.contains(&HOSTILE));
}

#[test]
fn the_api_answers_with_bounded_lists_and_the_counters() {
    let dir = tempfile::tempdir().unwrap();
    let (server, good) = serve(dir.path(), &[], &[]);
    let traffic = demo_traffic(&server, &good);
    let json = |path: &str| -> serde_json::Value {
        let (status, body) = get(server.metrics, path).unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    let summary = json("/api/summary");
    assert_eq!(summary["totals"]["accepted"], 3);
    assert_eq!(summary["totals"]["reports_stored"], 3);
    assert_eq!(summary["totals"]["ignored"], 6);
    assert_eq!(summary["last_minute"]["accepted"], 3);
    assert_eq!(summary["last_hour"]["ignored"], 6);
    for (reason, n) in &traffic.ignored {
        assert_eq!(
            summary["totals"]["ignored_by_reason"][reason], *n,
            "{reason}"
        );
        assert_eq!(summary["last_minute"]["ignored_by_reason"][reason], *n);
    }
    let series = &summary["per_second"];
    let sum = |key: &str| -> u64 {
        series[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum()
    };
    assert_eq!(series["accepted"].as_array().unwrap().len(), 300);
    assert_eq!((sum("accepted"), sum("ignored")), (3, 6));
    assert_eq!(summary["config"]["replay_window"], 64);
    assert!(summary["commit"]["count"].as_u64().unwrap() >= 1);

    let one = json("/api/reports?limit=1");
    assert_eq!(one["limit"], 1);
    assert_eq!(one["reports"].as_array().unwrap().len(), 1);
    assert_eq!(one["reports"][0]["username"], "dev2", "newest first");
    assert_eq!(json("/api/reports?limit=1000000")["limit"], 500);
    assert_eq!(json("/api/reports?limit=0")["limit"], 1);
    let of_dev0 = json(&format!("/api/reports?device={}", good[0].device_id));
    let rows = of_dev0["reports"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["username"], "dev0");
    assert_eq!(rows[0]["type"], "urn:oma:mo:thermal:1.0");
    assert_eq!(rows[0]["mark"], "warning");
    assert_eq!(rows[0]["source_uri"], "./Ext/Thermal");
    assert_eq!(
        json("/api/reports?device=dev1")["reports"][0]["data"],
        HOSTILE
    );
    let (status, _) = get(server.metrics, "/api/reports?limit=many").unwrap();
    assert_eq!(status, 400, "a limit that is not a number");

    let devices = json("/api/devices");
    let list = devices["devices"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    for d in list {
        assert_eq!(d["reports"], 1);
        assert_eq!(d["last_msg_id"], 1);
        assert_eq!(d["replay"]["windows"], 1);
        assert_eq!(d["replay"]["highest_msg_id"], 1);
        assert!(d["replay"]["last_accepted_ms"].as_i64().unwrap() > 0);
    }
    // Nothing of this on the DM port.
    assert_eq!(get(server.addr, "/api/summary").unwrap().0, 404);
    assert_eq!(get(server.addr, "/").unwrap().0, 405);
}

#[test]
fn the_page_reads_postgresql_too() {
    let pg = crate::pg::Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let (server, good) = serve_on(dir.path(), Path::new(&pg.url), &[], &[]);
    let traffic = demo_traffic(&server, &good);
    let (status, body) = get(server.metrics, "/api/reports?device=dev1").unwrap();
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["reports"][0]["data"], HOSTILE);
    assert_eq!(v["reports"][0]["msg_id"], 1);
    let (_, body) = get(server.metrics, "/api/devices").unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let list = v["devices"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert!(
        list.iter().all(|d| d["replay"]["highest_msg_id"] == 1),
        "{v}"
    );
    let (_, page) = get(server.metrics, "/").unwrap();
    assert!(page.contains("accepted reports stored"), "{page}");
    assert_eq!(
        page.matches("<tr class=\"report\">").count(),
        traffic.stored.len()
    );
    assert!(!page.contains("<script"));
}

/// One sample line of the text exposition format.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A strict reader of the Prometheus text format 0.0.4: every line is `# HELP`, `# TYPE` or a
/// sample; names and label names are valid; each family has one HELP and one TYPE, before its
/// samples; samples belong to the family declared last (with `_bucket`, `_sum`, `_count` for
/// histograms); no series repeats. Returns the families' types and the samples.
fn parse_exposition(text: &str) -> (BTreeMap<String, String>, Vec<Sample>) {
    let name_ok = |n: &str| {
        let mut chars = n.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut types = BTreeMap::new();
    let mut helps = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut samples: Vec<Sample> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    for line in text.lines() {
        assert!(!line.is_empty(), "no empty lines");
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(name_ok(name), "{line}");
            assert!(!help.is_empty(), "{line}");
            assert!(
                helps.insert(name.to_owned(), help.to_owned()).is_none(),
                "{line}"
            );
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(helps.contains_key(name), "HELP before TYPE: {line}");
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "{line}"
            );
            current = Some((name.to_owned(), kind.to_owned()));
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment {line}");
        // name{labels} value
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value of {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').unwrap(), line)),
        };
        assert!(name_ok(name), "{line}");
        let (family, kind) = current.as_ref().expect("a sample after its TYPE");
        let belongs = match kind.as_str() {
            "histogram" => [
                format!("{family}_bucket"),
                format!("{family}_sum"),
                format!("{family}_count"),
            ]
            .contains(&name.to_owned()),
            _ => name == family,
        };
        assert!(belongs, "{name} outside its family {family}");
        if kind == "counter" {
            assert!(
                name.ends_with("_total"),
                "counter names end in _total: {name}"
            );
            assert!(value >= 0.0, "{line}");
        }
        assert!(seen.insert(series.to_owned()), "series repeated: {line}");
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    (types, samples)
}

/// `a="x",b="y\"z"`: quoted values with `\\`, `\"` and `\n` escapes.
fn parse_labels(text: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => panic!("bad escape {other:?} in {line}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value in {line}"),
            }
        };
        assert!(labels.insert(name.to_owned(), value).is_none(), "{line}");
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    labels
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
        })
        .map(|s| s.value)
}

#[test]
fn metrics_parse_and_follow_the_naming_conventions() {
    let dir = tempfile::tempdir().unwrap();
    let (server, good) = serve(dir.path(), &[], &[]);
    let traffic = demo_traffic(&server, &good);
    let (status, head, text) = get_with(server.metrics, "/metrics", &[]).unwrap();
    assert_eq!(status, 200);
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    let (types, samples) = parse_exposition(&text);
    for (family, kind) in [
        ("omadm_messages_total", "counter"),
        ("omadm_reports_stored_total", "counter"),
        ("omadm_requests_total", "counter"),
        ("omadm_commit_duration_seconds", "histogram"),
        ("omadm_build_info", "gauge"),
    ] {
        assert_eq!(
            types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }
    let messages = |outcome: &str, reason: &str| {
        value(
            &samples,
            "omadm_messages_total",
            &[("outcome", outcome), ("reason", reason)],
        )
    };
    assert_eq!(messages("accepted", ""), Some(3.0));
    for (reason, n) in &traffic.ignored {
        #[allow(clippy::cast_precision_loss)]
        let n = *n as f64;
        assert_eq!(messages("ignored", reason), Some(n), "{reason}");
    }
    assert_eq!(
        value(&samples, "omadm_reports_stored_total", &[]),
        Some(3.0)
    );
    assert_eq!(value(&samples, "omadm_requests_total", &[]), Some(9.0));
    assert_eq!(
        value(
            &samples,
            "omadm_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    // The histogram: ascending bounds ending at +Inf, cumulative counts, +Inf = _count.
    let buckets: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.name == "omadm_commit_duration_seconds_bucket")
        .map(|s| {
            let le = &s.labels["le"];
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            (bound, s.value)
        })
        .collect();
    assert!(buckets.len() >= 10);
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
    );
    let count = value(&samples, "omadm_commit_duration_seconds_count", &[]).unwrap();
    assert_eq!(buckets.last().copied(), Some((f64::INFINITY, count)));
    assert!(count >= 1.0, "at least one commit");
    assert!(value(&samples, "omadm_commit_duration_seconds_sum", &[]).unwrap() > 0.0);

    // A scraper that asks for OpenMetrics gets it, terminated by # EOF.
    let (status, head, open) = get_with(
        server.metrics,
        "/metrics",
        &[("Accept", "application/openmetrics-text; version=1.0.0")],
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(head.contains("application/openmetrics-text"), "{head}");
    assert!(open.ends_with("# EOF\n"), "{open}");
    assert!(open.contains("omadm_messages_total{outcome=\"ignored\",reason=\"bad-mac\"} 2"));
}

/// Waits until `log` holds a line for which `pred` holds.
fn wait_for_line(server: &Server, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(line) = server.log.lock().unwrap().lines().find(|l| pred(l)) {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no such log line in {limit:?}: {}",
            server.log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn logs_are_json_lines_with_sampled_ignores_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (server, good) = serve(
        dir.path(),
        &["--log-format", "json", "--summary-interval", "0.5"],
        &[("OMADM_LOG", "debug")],
    );
    post_dm(&server, &signed(&good[0], 1, None, "ok"));
    // A flood of forgeries: counted, logged as a sample only.
    let mut forger = good[1].clone();
    forger.secret = format!("not-{}", forger.secret);
    const FLOOD: u64 = 40;
    for i in 0..FLOOD {
        post_dm(
            &server,
            &signed(&forger, u32::try_from(i).unwrap() + 1, None, "x"),
        );
    }
    // Summary lines until every message is accounted for.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (accepted, ignored) = loop {
        let log = server.log.lock().unwrap().clone();
        let summaries: Vec<serde_json::Value> = log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["message"] == "summary")
            .collect();
        let sum = |key: &str| -> u64 { summaries.iter().map(|v| v[key].as_u64().unwrap()).sum() };
        if sum("ignored") >= FLOOD && sum("accepted") >= 1 {
            break (sum("accepted"), sum("ignored"));
        }
        assert!(Instant::now() < deadline, "no complete summary: {log}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!((accepted, ignored), (1, FLOOD));
    let log = server.log.lock().unwrap().clone();
    let mut sampled = 0;
    for line in log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
    {
        assert!(
            line["timestamp"].is_string() && line["level"].is_string(),
            "{line}"
        );
        if line["message"] == "message ignored (sampled)" {
            assert_eq!(line["level"], "DEBUG");
            assert_eq!(line["reason"], "bad-mac");
            sampled += 1;
        }
        if line["message"] == "summary" && line["ignored"] != 0 {
            assert_eq!(line["level"], "INFO");
            assert!(
                line["ignored_by_reason"]
                    .as_str()
                    .unwrap()
                    .starts_with("bad-mac=")
            );
        }
    }
    // At most 5 per reason and interval; the flood spans a few intervals at most.
    assert!(
        (1..=20).contains(&sampled),
        "{sampled} sampled lines: {log}"
    );
}

#[test]
fn text_logs_carry_the_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let (server, good) = serve(dir.path(), &["--summary-interval", "0.3"], &[]);
    post_dm(&server, &signed(&good[0], 1, None, "ok"));
    let line = wait_for_line(&server, Duration::from_secs(20), |l| {
        l.contains("summary") && l.contains("accepted=1")
    });
    assert!(line.contains("INFO"), "{line}");
    assert!(!server.log.lock().unwrap().contains("message ignored"));
}

/// The Debian package that provides the browser.
const CHROMIUM_PACKAGE: &str = "chromium";

/// `chromium` on PATH, or a failure that names the package (never a skip).
fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "headless Chromium is needed for the status page test: install the Debian package \
             `{CHROMIUM_PACKAGE}` (apt-get update && apt-get install -y {CHROMIUM_PACKAGE}); \
             `cargo xtask ci` installs it when missing"
        )
    })
}

/// Runs headless Chromium on `url` with `mode` (`--dump-dom` or `--screenshot=…`), killed after
/// a minute; returns its stdout.
fn headless(url: &str, mode: &str, profile: &Path) -> String {
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--window-size=1280,1860",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {mode} did not finish in a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.success(), "chromium {mode}: {status}\n{err}");
    out
}

/// `target/` (the parent of the directory that holds the test binary's `omadm`).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_omadm"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf()
}

#[test]
fn headless_chromium_shows_the_stored_reports_and_the_ignored_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (server, good) = serve(dir.path(), &[], &[]);
    let traffic = demo_traffic(&server, &good);
    let url = format!("http://{}/", server.metrics);
    let dom = headless(&url, "--dump-dom", &dir.path().join("profile"));

    assert!(dom.contains("omadm serve — status"), "{dom}");
    // Every stored report is in the table; the hostile one as text (the serialised DOM
    // escapes text, so markup in it would appear as elements instead).
    let rows = dom.matches("<tr class=\"report\">").count();
    assert_eq!(rows, traffic.stored.len(), "{dom}");
    assert!(dom.contains("t=61C; zone=cpu"), "{dom}");
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "{dom}"
    );
    assert!(!dom.contains("<script"), "no script element: {dom}");
    assert!(!dom.contains("<img"), "no img element: {dom}");
    assert!(!dom.contains("pwned</title>"), "the title was not changed");
    for dev in &good {
        assert!(dom.contains(&format!("<b>{}</b>", dev.username)), "{dom}");
    }
    // The ignored counts, by reason, and in the totals card.
    for (reason, n) in &traffic.ignored {
        assert_ignored_row(&dom, reason, *n);
    }
    let ignored_total: u64 = traffic.ignored.values().sum();
    assert!(
        dom.contains(&format!(
            "id=\"card-ignored\"><div class=\"label\">Ignored messages</div><div class=\"big\" data-value=\"{ignored_total}\">"
        )),
        "{dom}"
    );
    assert!(dom.contains("<svg"), "the chart is inline SVG");
}

/// The page's row for `reason` in the ignored table says `n` since start.
fn assert_ignored_row(dom: &str, reason: &str, n: u64) {
    let row = dom
        .split(&format!("<tr data-reason=\"{reason}\">"))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row for {reason}: {dom}"));
    assert!(
        row.contains(&format!("data-total=\"{n}\">{n}</td>")),
        "{row}"
    );
}

/// A running `omadm demo --metrics-listen 127.0.0.1:0 --linger …`, killed on drop.
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn headless_chromium_shows_the_demo_traffic() {
    let mut demo = Demo(
        bin()
            .args(["demo", "--metrics-listen", "127.0.0.1:0", "--linger", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The demo says where its page is once every case has been answered.
    let stderr = demo.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("status page: ") {
                let _ = tx.send(rest.split(' ').next().unwrap_or_default().to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the demo prints its status page URL");
    let dir = tempfile::tempdir().unwrap();
    let dom = headless(&url, "--dump-dom", &dir.path().join("profile"));
    // The demo stores 2 reports from each of dev1..dev5 (dev5 in WBXML) and 1 more from dev1;
    // after the DM sessions, 1 from dev6 and 1 more from dev1, signed with their new nonces.
    assert_eq!(dom.matches("<tr class=\"report\">").count(), 13, "{dom}");
    assert_eq!(dom.matches("<tr class=\"device\">").count(), 6, "{dom}");
    assert!(
        dom.contains("t=61C; zone=&lt;cpu&gt; &amp; ]]&gt; ok"),
        "{dom}"
    );
    for (reason, n) in [
        ("replayed", 1),
        // 3, and the two reports still signed with the nonce a session replaced.
        ("bad-mac", 5),
        ("media-type-mismatch", 1),
        ("unknown-device", 1),
        ("too-large", 1),
    ] {
        assert_ignored_row(&dom, reason, n);
    }
    assert!(
        dom.contains("data-value=\"8\">8<small>last minute"),
        "8 accepted: {dom}"
    );

    let shot = target_dir().join("status-page.png");
    let _ = std::fs::remove_file(&shot);
    headless(
        &url,
        &format!("--screenshot={}", shot.display()),
        &dir.path().join("profile2"),
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "a PNG at {}",
        shot.display()
    );
    eprintln!("screenshot: {}", shot.display());
}

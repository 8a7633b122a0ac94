//! `GET /`: the status page, rendered on the server from the same values the JSON API returns,
//! with its stylesheet embedded (no CDN, no script, nothing fetched) and an inline SVG chart.
//!
//! Every string that reaches the page goes through [`escape`]: report data, types, device ids
//! and usernames are peer input, and an error message may quote them.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::Status;
use super::api::{self, DEFAULT_DEVICES, DEFAULT_REPORTS, Device, Summary};
use crate::store::StoredReport;

/// The stylesheet, inlined into every page.
const CSS: &str = include_str!("page.css");
/// Seconds between the page's own reloads.
const REFRESH_SECS: u32 = 5;
/// Characters of report data shown in the table (the whole data is in the cell's title, up to
/// [`TITLE_CHARS`]).
const PREVIEW_CHARS: usize = 120;
const TITLE_CHARS: usize = 2000;

pub(crate) async fn handler(State(status): State<Arc<Status>>) -> Response {
    let summary = api::collect_summary(&status);
    let reports = api::load_reports(&status, None, DEFAULT_REPORTS).await;
    let devices = api::load_devices(&status, DEFAULT_DEVICES).await;
    let html = render(&summary, &reports, &devices);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // Nothing on the page may load or run anything: a last line behind the escaping.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ),
        ],
        html,
    )
        .into_response()
}

/// The whole page.
pub(crate) fn render(
    summary: &Summary,
    reports: &Result<Vec<StoredReport>, String>,
    devices: &Result<Vec<Device>, String>,
) -> String {
    let mut h = String::with_capacity(32 * 1024);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>omadm serve — status</title><style>{CSS}</style></head><body>"
    );
    header(&mut h, summary);
    h.push_str("<main>");
    cards(&mut h, summary);
    chart(&mut h, summary);
    ignored(&mut h, summary);
    reports_table(&mut h, summary, reports);
    devices_table(&mut h, summary, devices);
    h.push_str("</main>");
    let _ = writeln!(
        h,
        "<footer>The same values as JSON: <a href=\"/api/summary\">/api/summary</a> · \
         <a href=\"/api/reports\">/api/reports?device=&amp;limit=</a> · \
         <a href=\"/api/devices\">/api/devices</a> · Prometheus: <a href=\"/metrics\">/metrics</a>. \
         This page reloads every {REFRESH_SECS} s; ignored messages are never stored, so their \
         counts live in this server's memory (since start, and the last hour).</footer></body></html>"
    );
    h
}

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references: safe as element text
/// and as a quoted attribute value.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn header(h: &mut String, s: &Summary) {
    let kept = if s.reports_kept {
        "accepted reports stored"
    } else {
        "reports not kept (--store none)"
    };
    let _ = write!(
        h,
        "<header><h1>omadm serve — status</h1>\
         <span class=\"sub\">OMA DM Sessionless Reporting · v{} · up {} · {kept}</span>\
         <span class=\"clock\" id=\"now\">{} UTC</span></header>",
        escape(s.version),
        duration(s.uptime_secs),
        utc(s.now_ms)
    );
}

fn cards(h: &mut String, s: &Summary) {
    h.push_str("<section class=\"cards\" id=\"totals\">");
    card(
        h,
        "ok",
        "accepted",
        "Accepted messages",
        s.last_minute.accepted,
        "last minute",
        &format!(
            "{}/s · last hour {} · since start {}",
            rate(s.last_minute.accepted_per_sec),
            s.last_hour.accepted,
            s.totals.accepted
        ),
    );
    card(
        h,
        "ok",
        "reports",
        "Reports stored",
        s.last_minute.reports,
        "last minute",
        &format!(
            "last hour {} · since start {}",
            s.last_hour.reports, s.totals.reports_stored
        ),
    );
    let ignored_class = if s.last_minute.ignored > 0 { "bad" } else { "" };
    let top_reason = s
        .last_hour
        .ignored_by_reason
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or_else(String::new, |(reason, n)| {
            format!("<br>most this hour: <b>{}</b> ({n})", escape(reason))
        });
    card(
        h,
        ignored_class,
        "ignored",
        "Ignored messages",
        s.last_minute.ignored,
        "last minute",
        &format!(
            "{}/s · last hour {} · since start {}{top_reason}",
            rate(s.last_minute.ignored_per_sec),
            s.last_hour.ignored,
            s.totals.ignored
        ),
    );
    let mean = s
        .commit
        .mean_ms
        .map_or_else(|| "–".to_owned(), |ms| format!("{ms:.2}"));
    let failed = if s.totals.store_errors > 0 {
        format!(
            " · <span class=\"error\">{} failed ({} messages answered 503)</span>",
            s.totals.store_errors, s.totals.failed
        )
    } else {
        " · 0 failed".to_owned()
    };
    let _ = write!(
        h,
        "<div class=\"card\" id=\"card-commit\"><div class=\"label\">Group commit</div>\
         <div class=\"big\">{mean}<small>ms mean</small></div>\
         <div class=\"detail\">max {:.2} ms · {} commits{failed} · tick {} ms, batch ≤ {}</div></div>",
        s.commit.max_ms, s.commit.count, s.config.tick_ms, s.config.max_batch
    );
    let by_reason: Vec<String> = s
        .sessions
        .ended_by_reason
        .iter()
        .map(|(reason, n)| format!("{} {n}", escape(reason)))
        .collect();
    let by_reason = if by_reason.is_empty() {
        String::new()
    } else {
        format!("<br>ended: {}", by_reason.join(" · "))
    };
    card(
        h,
        "",
        "sessions",
        "DM sessions",
        s.sessions.live,
        "live",
        &format!(
            "{} ended since start · {} authenticated · {} new nonces issued{by_reason}",
            s.sessions.ended, s.sessions.authenticated, s.sessions.nonces_issued
        ),
    );
    h.push_str("</section>");
}

fn card(h: &mut String, class: &str, id: &str, label: &str, big: u64, unit: &str, detail: &str) {
    let _ = write!(
        h,
        "<div class=\"card {class}\" id=\"card-{id}\"><div class=\"label\">{label}</div>\
         <div class=\"big\" data-value=\"{big}\">{big}<small>{unit}</small></div>\
         <div class=\"detail\">{detail}</div></div>"
    );
}

/// Stacked bars, one per second: accepted below, ignored above.
fn chart(h: &mut String, s: &Summary) {
    const W: f64 = 1000.0;
    const H: f64 = 150.0;
    const LEFT: f64 = 44.0;
    const TOP: f64 = 8.0;
    const BOTTOM: f64 = 22.0;
    let series = &s.per_second;
    let n = series.accepted.len().max(1);
    let peak = series
        .accepted
        .iter()
        .zip(&series.ignored)
        .map(|(a, i)| a + i)
        .max()
        .unwrap_or(0);
    let top = nice_ceiling(peak);
    // invariant: at most a few hundred bars and counts far below 2^52: exact in an f64.
    #[allow(clippy::cast_precision_loss)]
    let (bar, scale) = ((W - LEFT) / n as f64, (H - TOP - BOTTOM) / top as f64);
    let base = H - BOTTOM;
    let _ = write!(
        h,
        "<section id=\"chart\"><h2>Messages per second <small>last {} minutes, one bar per \
         second; peak {peak}/s</small></h2>\
         <svg viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" \
         aria-label=\"messages per second, accepted and ignored\" \
         xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"11\">",
        n / 60
    );
    for i in [0, top / 2, top] {
        #[allow(clippy::cast_precision_loss)]
        let y = base - i as f64 * scale;
        let _ = write!(
            h,
            "<line x1=\"{LEFT}\" x2=\"{W}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e1e6ec\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#5f6b7a\">{i}</text>",
            LEFT - 6.0,
            y + 4.0
        );
    }
    for (k, (a, ig)) in series.accepted.iter().zip(&series.ignored).enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = LEFT + k as f64 * bar;
        #[allow(clippy::cast_precision_loss)]
        let (ha, hi) = (*a as f64 * scale, *ig as f64 * scale);
        if *a > 0 {
            let _ = write!(
                h,
                "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{ha:.2}\" fill=\"#2b8a3e\"/>",
                base - ha,
                (bar - 0.6).max(0.6)
            );
        }
        if *ig > 0 {
            let _ = write!(
                h,
                "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{hi:.2}\" fill=\"#e8590c\"/>",
                base - ha - hi,
                (bar - 0.6).max(0.6)
            );
        }
    }
    let minutes = n / 60;
    for m in 0..=minutes {
        #[allow(clippy::cast_precision_loss)]
        let x = LEFT + (m * 60) as f64 * bar;
        let label = if m == minutes {
            "now".to_owned()
        } else {
            format!("−{} min", minutes - m)
        };
        let anchor = if m == minutes { "end" } else { "middle" };
        let _ = write!(
            h,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"#5f6b7a\">{label}</text>",
            H - 6.0
        );
    }
    let _ = write!(
        h,
        "</svg><div class=\"legend\"><span><span class=\"swatch\" style=\"background:#2b8a3e\"></span>accepted</span>\
         <span><span class=\"swatch\" style=\"background:#e8590c\"></span>ignored</span>\
         <span>last minute: {}/s accepted, {}/s ignored</span></div></section>",
        rate(s.last_minute.accepted_per_sec),
        rate(s.last_minute.ignored_per_sec)
    );
}

fn ignored(h: &mut String, s: &Summary) {
    h.push_str(
        "<section id=\"ignored\"><h2>Ignored messages by reason</h2>\
         <p class=\"note\">The sender is never told (every POST gets the same 204); this table is \
         where ignored messages become visible. Nothing of them is stored.</p>",
    );
    if s.totals.ignored_by_reason.is_empty() {
        h.push_str("<p class=\"empty\">No message ignored since the server started.</p></section>");
        return;
    }
    h.push_str(
        "<table><thead><tr><th>reason</th><th class=\"num\">last minute</th>\
         <th class=\"num\">last hour</th><th class=\"num\">since start</th>\
         <th>what it usually means</th></tr></thead><tbody>",
    );
    let mut rows: Vec<(&&str, &u64)> = s.totals.ignored_by_reason.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (reason, total) in rows {
        let minute = s.last_minute.ignored_by_reason.get(*reason).copied();
        let hour = s.last_hour.ignored_by_reason.get(*reason).copied();
        let _ = write!(
            h,
            "<tr data-reason=\"{r}\"><td class=\"reason\">{r}</td>{}{}\
             <td class=\"num\" data-total=\"{total}\">{total}</td><td class=\"why\">{}</td></tr>",
            count_cell(minute),
            count_cell(hour),
            escape(meaning(reason)),
            r = escape(reason),
        );
    }
    h.push_str("</tbody></table></section>");
}

fn count_cell(n: Option<u64>) -> String {
    match n {
        Some(n) if n > 0 => format!("<td class=\"num\">{n}</td>"),
        _ => "<td class=\"num zero\">0</td>".to_owned(),
    }
}

/// The rows of a list, or `None` after writing why there are none (a store error, no store,
/// nothing yet).
fn rows_or_why<'r, T>(
    h: &mut String,
    s: &Summary,
    rows: &'r Result<Vec<T>, String>,
    none_yet: &str,
) -> Option<&'r [T]> {
    match rows {
        Err(e) => {
            let _ = write!(
                h,
                "<p class=\"error\">The store did not answer: {}</p>",
                escape(e)
            );
            None
        }
        Ok(_) if !s.reports_kept => {
            h.push_str("<p class=\"empty\">Reports are not kept (--store none).</p>");
            None
        }
        Ok(rows) if rows.is_empty() => {
            let _ = write!(h, "<p class=\"empty\">{none_yet}</p>");
            None
        }
        Ok(rows) => Some(rows),
    }
}

fn reports_table(h: &mut String, s: &Summary, reports: &Result<Vec<StoredReport>, String>) {
    let _ = write!(
        h,
        "<section id=\"reports\"><h2>Recent accepted reports <small>newest first, at most \
         {DEFAULT_REPORTS}</small></h2>"
    );
    if let Some(rows) = rows_or_why(h, s, reports, "No report stored yet.") {
        h.push_str(
            "<table><thead><tr><th>received (UTC)</th><th>device</th><th class=\"num\">MsgID</th>\
                 <th>Type</th><th>Format</th><th>Mark</th><th>data</th></tr></thead><tbody>",
        );
        for r in rows {
            let mark = r.mark.as_deref().unwrap_or("informational");
            let absent = if r.mark.is_none() { " (absent)" } else { "" };
            let _ = write!(
                h,
                "<tr class=\"report\"><td>{}</td><td><b>{}</b><br><code>{}</code></td>\
                     <td class=\"num\">{}</td><td><code>{}</code>{}</td><td><code>{}</code></td>\
                     <td><span class=\"mark {m}\">{m}{absent}</span></td>\
                     <td><span class=\"data\" title=\"{}\">{}</span></td></tr>",
                utc(r.received_ms),
                escape(&r.username),
                escape(&r.device_id),
                r.msg_id,
                escape(&r.alert_type),
                r.source_uri
                    .as_deref()
                    .map_or_else(String::new, |u| format!("<br><small>{}</small>", escape(u))),
                escape(&r.format),
                escape(&preview(&r.data, TITLE_CHARS)),
                escape(&preview(&r.data, PREVIEW_CHARS)),
                m = escape(mark),
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");
}

fn devices_table(h: &mut String, s: &Summary, devices: &Result<Vec<Device>, String>) {
    let _ = write!(
        h,
        "<section id=\"devices\"><h2>Devices <small>last seen first, then the registry's \
         devices that never reported; anti-replay window: {} MsgIDs below the highest, per \
         nonce</small></h2>",
        s.config.replay_window
    );
    if let Some(rows) = rows_or_why(
        h,
        s,
        devices,
        "No device has reported yet, and the device registry is empty.",
    ) {
        h.push_str(
            "<table><thead><tr><th>device</th><th>device id</th><th>last seen</th>\
                 <th class=\"num\">reports</th><th class=\"num\">last MsgID</th>\
                 <th>nonce age</th><th>replay window (current nonce)</th></tr></thead><tbody>",
        );
        for d in rows {
            let replay = match &d.replay {
                None => "<span class=\"zero\">–</span>".to_owned(),
                Some(v) => {
                    let highest = v
                        .highest_msg_id
                        .map_or_else(|| "none yet".to_owned(), |m| format!("highest {m}"));
                    let nonces = if v.windows == 1 {
                        "1 nonce".to_owned()
                    } else {
                        format!("{} nonces", v.windows)
                    };
                    let last = v.last_accepted_ms.map_or_else(String::new, |ms| {
                        format!(" · last accepted {}", ago(s.now_ms, ms))
                    });
                    format!("{highest} · {nonces} held{last}")
                }
            };
            let seen = d.last_seen_ms.map_or_else(
                || "<span class=\"never\">never seen</span>".to_owned(),
                |ms| format!("{} <small>({} UTC)</small>", ago(s.now_ms, ms), utc(ms)),
            );
            let nonce_age = match (d.nonce_age_secs, d.nonce_issued_ms) {
                (Some(age), Some(ms)) => {
                    format!("{} <small>(set {} UTC)</small>", duration(age), utc(ms))
                }
                _ if d.registered => "<span class=\"zero\">unknown</span>".to_owned(),
                _ => "<span class=\"zero\">– <small>(devices file)</small></span>".to_owned(),
            };
            let last_msg_id = d.last_msg_id.map_or_else(
                || "<span class=\"zero\">–</span>".to_owned(),
                |m| m.to_string(),
            );
            let disabled = if d.disabled {
                " <span class=\"disabled\">disabled</span>"
            } else {
                ""
            };
            let class = if d.never_seen {
                "device never"
            } else {
                "device"
            };
            let _ = write!(
                h,
                "<tr class=\"{class}\"><td><b>{}</b>{disabled}</td><td><code>{}</code></td>\
                     <td>{seen}</td><td class=\"num\">{}</td>\
                     <td class=\"num\">{last_msg_id}</td><td>{nonce_age}</td>\
                     <td>{replay}</td></tr>",
                escape(&d.username),
                escape(&d.device_id),
                d.reports,
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");
}

/// What an operator should suspect for each reason.
fn meaning(reason: &str) -> &'static str {
    match reason {
        "bad-mac" => {
            "the MAC does not verify: a wrong key (after a key rotation?), a forgery, or bytes changed in transit"
        }
        "replayed" => {
            "MsgID already accepted (or too old) under the nonce: a retry after a lost answer, or a replay storm"
        }
        "unknown-device" => {
            "the username is not in the devices file: an unprovisioned device, or probing"
        }
        "too-large" => {
            "the body exceeds MaxMsgSize (not read beyond it): a firmware packing too much"
        }
        "unsupported-media-type" => {
            "a Content-Type that is neither DM media type (+xml, +wbxml): a misconfigured client or a scanner"
        }
        "media-type-mismatch" => {
            "the Content-Type names one encoding (XML, WBXML) and the body starts as the other: a client bug"
        }
        "malformed" => "not well-formed SyncML DM XML or WBXML",
        "not-sessionless" => "authenticated, but breaks the sessionless profile (strict verifier)",
        "identity-mismatch" => "the Cred username differs from SyncHdr/Source/LocName",
        "device-mismatch" => "SyncHdr/Source/LocURI is not the device id held for the username",
        "wrong-scheme" => "not the hash, construction or carrier pinned for the device",
        "missing-cred" => "no Cred in the header",
        "unsupported-scheme" => "a Cred type the server does not accept",
        "bad-cred-data" => "the Cred data holds markup, an entity or CDATA",
        "bad-mac-params" => "the MAC parameter list does not parse",
        "both-carriers" => "a MAC in the message and in the x-syncml-hmac header at once",
        "transport-not-authenticated" => {
            "auth-md5 without a MAC on a listener that did not authenticate the peer"
        }
        "bad-credential" => "the auth-md5 credential beside the header MAC does not verify",
        "body-timeout" => "the body did not arrive within --body-timeout: a slow or stalled client",
        "body-error" => "the connection failed while the body was read",
        "replay-state-corrupt" => {
            "the device's stored anti-replay state is unreadable: its messages are refused until an operator acts"
        }
        "stale-nonce" => {
            "signed with the nonce a DM session (or an operator) had just replaced: a report in flight during the rotation"
        }
        "internal" => "an internal verifier error (please report it)",
        _ => "",
    }
}

/// At most `max` characters of `data`, with `…` if cut.
fn preview(data: &str, max: usize) -> String {
    match data.char_indices().nth(max) {
        None => data.to_owned(),
        Some((at, _)) => format!("{}…", &data[..at]),
    }
}

fn rate(per_sec: f64) -> String {
    if per_sec >= 10.0 {
        format!("{per_sec:.0}")
    } else {
        format!("{per_sec:.2}")
    }
}

/// 1, 2 or 5 times a power of ten, at least `n` (and at least 1).
fn nice_ceiling(n: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let v = step.saturating_mul(m);
            if v >= n || v == u64::MAX {
                return v.max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// A span of seconds for people: `42 s`, `5 min 3 s`, `2 h 10 min`, `3 d 4 h`.
pub(crate) fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
    }
}

fn ago(now_ms: i64, then_ms: i64) -> String {
    let secs = u64::try_from((now_ms - then_ms).max(0) / 1000).unwrap_or(0);
    format!("{} ago", duration(secs))
}

/// `YYYY-MM-DD HH:MM:SS` in UTC (proleptic Gregorian, from the Unix epoch).
pub(crate) fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc(1_796_212_805_000), "2026-12-02 12:00:05");
        assert_eq!(utc(-1000), "1969-12-31 23:59:59");
    }

    #[test]
    fn previews_cut_on_characters() {
        assert_eq!(preview("héllo", 2), "hé…");
        assert_eq!(preview("abc", 3), "abc");
    }

    #[test]
    fn chart_scale_is_round() {
        assert_eq!(
            [0, 1, 3, 7, 10, 11, 450].map(nice_ceiling),
            [1, 1, 5, 10, 10, 20, 500]
        );
    }
}

//! iCalendar (RFC 5545) entries for upcoming shows, for "add to calendar".
use crate::protocol::{LiveEvent, Millis};

/// One `VCALENDAR` with one `VEVENT`. `host` names the server in the UID; `url` is the page to
/// watch the show.
pub fn calendar(event: &LiveEvent, host: &str, url: Option<&str>, now: Millis) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//live-shop//reference backend//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}@{}", escape(&event.id), escape(host)),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART:{}", utc(event.starts_at)),
        format!("DTEND:{}", utc(event.ends_at.max(event.starts_at))),
        format!("SUMMARY:{}", escape(&event.title)),
    ];
    if let Some(host) = &event.host {
        lines.push(format!("DESCRIPTION:{}", escape(host)));
    }
    if let Some(url) = url {
        lines.push(format!("URL:{}", escape(url)));
    }
    lines.extend(["END:VEVENT".to_string(), "END:VCALENDAR".to_string()]);
    lines
        .iter()
        .map(|l| fold(l))
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds lines longer than 75 octets, never inside a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out
}

/// `YYYYMMDDTHHMMSSZ` for milliseconds since the epoch.
pub fn utc(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_timestamps() {
        assert_eq!(utc(0), "19700101T000000Z");
        assert_eq!(utc(951_782_400_000), "20000229T000000Z");
        assert_eq!(utc(1_795_000_000_123), "20261118T110640Z");
    }

    #[test]
    fn escapes_and_folds() {
        let event = LiveEvent {
            id: "ev1".into(),
            title: "Fall Deals, part 2; \"big\"\nnight ".repeat(4),
            host: Some("Ana".into()),
            starts_at: 0,
            ends_at: 3_600_000,
            stream_id: None,
            url: None,
        };
        let ics = calendar(&event, "127.0.0.1", Some("http://127.0.0.1:8080/"), 0);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.contains("DTEND:19700101T010000Z"));
        assert!(ics.contains("Fall Deals\\, part 2\\; \"big\"\\nnight"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }
}

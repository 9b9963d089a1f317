//! Time as data: the core never reads a clock; callers pass epoch milliseconds.

/// Formats epoch milliseconds as an ISO 8601 UTC string, like JS `Date.prototype.toISOString`
/// (`2024-01-31T12:00:00.000Z`). Out-of-range inputs are clamped to the epoch.
pub fn iso8601(epoch_ms: f64) -> String {
    let ms = if epoch_ms.is_finite() && (0.0..=253_402_300_799_999.0).contains(&epoch_ms) {
        epoch_ms as i64
    } else {
        0
    };
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    // As u32 (every part is 0 to 9999 here): this was the wasm's only use of `i64`'s Display.
    let part = |v: i64| v as u32;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        part(y),
        part(m),
        part(d),
        part(rem / 3_600_000),
        part(rem / 60_000 % 60),
        part(rem / 1000 % 60),
        part(rem % 1000)
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_to_iso_string() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_572_480_000_000.0), "2019-10-31T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123.0), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso8601(1_798_761_599_999.0), "2026-12-31T23:59:59.999Z");
        assert_eq!(iso8601(f64::NAN), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(253_402_300_799_999.0), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso8601(-1.0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn agrees_with_the_i64_format() {
        // Day starts over the whole range and every 997th millisecond of a day, against the
        // format! on i64 it replaced.
        let reference = |epoch_ms: f64| {
            let ms = epoch_ms as i64;
            let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
            let (y, m, d) = civil_from_days(days);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                rem / 3_600_000,
                rem / 60_000 % 60,
                rem / 1000 % 60,
                rem % 1000
            )
        };
        let mut ms = 0.0;
        while ms < 253_402_300_799_999.0 {
            assert_eq!(iso8601(ms), reference(ms));
            ms += 86_400_000.0 * 97.0 + 3_723_456.0;
        }
        for ms in (0..86_400_000).step_by(997) {
            assert_eq!(iso8601(f64::from(ms)), reference(f64::from(ms)));
        }
    }
}

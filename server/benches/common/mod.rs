//! What every benchmark program needs: numbers from the environment, this process's memory, and
//! writing figures into BENCHMARKS.md.

/// An environment variable as a number, or `default`.
pub fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A `/proc/self/status` memory figure in MiB (`VmHWM` peak, `VmRSS` current).
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Peak resident set size of this process, in MiB.
#[allow(dead_code)] // Not every bench reads the peak.
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// Current resident set size of this process, in MiB.
#[allow(dead_code)] // Not every bench samples the current size.
pub fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

/// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in BENCHMARKS.md.
pub fn write_section(name: &str, body: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (begin, end) = (
        format!("<!-- {name}:begin -->"),
        format!("<!-- {name}:end -->"),
    );
    let updated = match (text.find(&begin), text.find(&end)) {
        (Some(b), Some(e)) if b < e => format!("{}{begin}\n{body}{}", &text[..b], &text[e..]),
        _ => format!("{text}\n{begin}\n{body}{end}\n"),
    };
    std::fs::write(path, updated).unwrap();
}

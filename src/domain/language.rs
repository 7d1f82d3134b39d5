//! The language a reader reads the server's own sentences in (notification messages, how
//! staff, the system and unseen accounts are named, why an order failed): English or German
//! (the demo ISP is in Berlin). It comes with each call, from `Accept-Language` on HTTP and
//! on the WebSocket's upgrade request (or its `connection_init` payload), so one account may
//! read in either; facts are stored once, as facts, and told in the reader's language.

use chrono::NaiveDate;

/// A language the server speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    English,
    German,
}

impl Language {
    /// The language an `Accept-Language` value prefers among those spoken here (by weight,
    /// then order); English when it names none of them.
    pub fn from_accept_language(value: &str) -> Language {
        let mut best: Option<(f32, Language)> = None;
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let weight = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            let language = match primary {
                "de" => Language::German,
                "en" => Language::English,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, language));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    /// The same for an optional header value.
    pub fn from_header(value: Option<&str>) -> Language {
        value
            .map(Language::from_accept_language)
            .unwrap_or_default()
    }

    /// Picks this language's text.
    pub fn pick<T>(self, english: T, german: T) -> T {
        match self {
            Language::English => english,
            Language::German => german,
        }
    }

    /// A decimal amount as this language writes it (`12.50`, `12,50`).
    pub fn decimal(self, amount: &str) -> String {
        match self {
            Language::English => amount.to_string(),
            Language::German => amount.replace('.', ","),
        }
    }

    /// A calendar day (`2026-12-06`) as this language writes it (`2026-12-06`, `6.12.2026`);
    /// anything that is not a day stays as it is.
    pub fn day(self, text: &str) -> String {
        match (self, NaiveDate::parse_from_str(text, "%Y-%m-%d")) {
            (Language::German, Ok(day)) => day.format("%-d.%-m.%Y").to_string(),
            _ => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Language::{self, *};

    #[test]
    fn the_preferred_spoken_language_wins_by_weight_then_order() {
        for (header, expected) in [
            ("de-DE,de;q=0.9,en;q=0.8", German),
            ("en-GB,en;q=0.9,de;q=0.8", English),
            ("fr-FR, de;q=0.5", German),
            ("fr, it", English),
            ("", English),
            ("en;q=0.3, DE;q=0.7", German),
            ("de;q=0, en;q=0.1", English),
            ("*", English),
        ] {
            assert_eq!(Language::from_accept_language(header), expected, "{header}");
        }
    }

    #[test]
    fn amounts_and_days_are_written_as_each_language_writes_them() {
        assert_eq!(German.decimal("1234.50"), "1234,50");
        assert_eq!(English.decimal("1234.50"), "1234.50");
        assert_eq!(German.day("2026-12-06"), "6.12.2026");
        assert_eq!(English.day("2026-12-06"), "2026-12-06");
        assert_eq!(German.day("December"), "December");
    }
}

//! Invoice PDFs: A4 pages (as many as the lines need) written with `pdf-writer`, using the standard Helvetica
//! font (no embedding needed) so any viewer opens it. Text is Latin-1; other characters
//! become `?`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

/// One printed line of the invoice table.
pub struct PdfLine {
    pub description: String,
    pub quantity: i32,
    pub unit_price: String,
    pub tax_percent: String,
    pub total: String,
}

/// Everything printed on an invoice.
pub struct InvoiceDocument {
    /// The title line, e.g. `Invoice INV-2026-P1-000001`.
    pub heading: String,
    pub issued_on: String,
    pub payer_name: String,
    pub payer_address: String,
    pub currency: String,
    pub lines: Vec<PdfLine>,
    /// Per-sub-account subtotals, when lines bill sub-accounts.
    pub subtotals: Vec<(String, String)>,
    pub subtotal: String,
    pub tax: String,
    pub total: String,
}

fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// Top and bottom margins of the text area of an A4 page, in points.
const TOP: f32 = 790.0;
const BOTTOM: f32 = 60.0;
/// Characters of a description that fit in its column at 10 pt.
const DESCRIPTION_WIDTH: usize = 45;

/// Writes text top to bottom, starting a new page when the current one is full.
struct Pages {
    pages: Vec<Content>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Pages {
            pages: vec![Content::new()],
            y: TOP,
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, s: &str) {
        let y = self.y;
        let Some(c) = self.pages.last_mut() else {
            return;
        };
        c.begin_text();
        c.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        c.next_line(x, y);
        c.show(Str(&latin1(s)));
        c.end_text();
    }

    fn down(&mut self, dy: f32) {
        self.y -= dy;
    }

    /// Makes sure `height` points fit below; otherwise continues on a new page.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Content::new());
            self.y = TOP;
        }
    }
}

/// Splits a description into lines that fit its column, at spaces where possible.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in s.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = current.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    current.push(' ');
                }
                current.extend(word.iter());
                break;
            }
            if used > 0 {
                out.push(std::mem::take(&mut current));
                continue;
            }
            // A word longer than the column: cut it.
            let rest = word.split_off(width);
            out.push(word.iter().collect());
            word = rest;
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

/// Renders the invoice to PDF bytes: as many A4 pages as the lines need.
pub fn render_invoice(doc: &InvoiceDocument) -> Vec<u8> {
    let mut w = Pages::new();
    w.text(50.0, 20.0, true, &doc.heading);
    w.down(24.0);
    w.text(50.0, 11.0, false, &format!("Date: {}", doc.issued_on));
    w.down(30.0);
    w.text(50.0, 11.0, true, "Bill to");
    w.down(15.0);
    w.text(50.0, 11.0, false, &doc.payer_name);
    w.down(15.0);
    w.text(50.0, 11.0, false, &doc.payer_address);
    w.down(35.0);
    for (x, head) in [
        (50.0, "Description"),
        (300.0, "Qty"),
        (340.0, "Unit price"),
        (420.0, "Tax %"),
        (480.0, "Total"),
    ] {
        w.text(x, 10.0, true, head);
    }
    w.down(16.0);
    for line in &doc.lines {
        let description = wrap(&line.description, DESCRIPTION_WIDTH);
        w.room(14.0 * description.len() as f32);
        w.text(300.0, 10.0, false, &line.quantity.to_string());
        w.text(340.0, 10.0, false, &line.unit_price);
        w.text(420.0, 10.0, false, &line.tax_percent);
        w.text(480.0, 10.0, false, &line.total);
        for part in description {
            w.text(50.0, 10.0, false, &part);
            w.down(14.0);
        }
    }
    if !doc.subtotals.is_empty() {
        w.down(12.0);
        w.room(28.0);
        w.text(50.0, 10.0, true, "Subtotals per sub-account");
        w.down(14.0);
        for (name, amount) in &doc.subtotals {
            w.room(14.0);
            w.text(50.0, 10.0, false, name);
            w.text(480.0, 10.0, false, amount);
            w.down(14.0);
        }
    }
    w.down(20.0);
    w.room(48.0);
    for (label, amount, strong) in [
        ("Subtotal", &doc.subtotal, false),
        ("Tax", &doc.tax, false),
        ("Total", &doc.total, true),
    ] {
        w.text(340.0, 11.0, strong, label);
        w.text(480.0, 11.0, strong, &format!("{amount} {}", doc.currency));
        w.down(16.0);
    }

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let bold = Ref::new(4);
    let page_ids: Vec<(Ref, Ref)> = (0..w.pages.len() as i32)
        .map(|i| (Ref::new(5 + 2 * i), Ref::new(6 + 2 * i)))
        .collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(page_ids.len() as i32);
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for ((page_id, contents), content) in page_ids.into_iter().zip(w.pages) {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
        page.parent(tree);
        page.contents(contents);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), font);
        fonts.pair(Name(b"F2"), bold);
        fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(contents, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invoice_pdf_is_a_pdf_with_its_number_in_the_text() {
        let bytes = render_invoice(&InvoiceDocument {
            heading: "Invoice INV-2026-000042".into(),
            issued_on: "2026-11-27".into(),
            payer_name: "Jörg Müller".into(),
            payer_address: "1 Main St, Berlin".into(),
            currency: "EUR".into(),
            lines: vec![PdfLine {
                description: "Fiber 100".into(),
                quantity: 1,
                unit_price: "29.90".into(),
                tax_percent: "19".into(),
                total: "35.58".into(),
            }],
            subtotals: vec![],
            subtotal: "29.90".into(),
            tax: "5.68".into(),
            total: "35.58".into(),
        });
        assert!(bytes.starts_with(b"%PDF"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("INV-2026-000042"));
        assert!(text.contains("35.58"));
        assert!(text.trim_end().ends_with("%%EOF"));
    }

    #[test]
    fn long_descriptions_wrap_and_many_lines_take_more_pages() {
        assert_eq!(
            wrap(
                "Fiber 100, 2026-12-10 to 2026-12-31 (22 of 31 days) (Jane Doe)",
                45
            ),
            vec![
                "Fiber 100, 2026-12-10 to 2026-12-31 (22 of 31",
                "days) (Jane Doe)"
            ]
        );
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), vec![""]);
        let line = |i: usize| PdfLine {
            description: format!("Service number {i} with a long description that wraps"),
            quantity: 1,
            unit_price: "1.00".into(),
            tax_percent: "19".into(),
            total: "1.19".into(),
        };
        let bytes = render_invoice(&InvoiceDocument {
            heading: "Invoice INV-2026-000043".into(),
            issued_on: "2026-11-27".into(),
            payer_name: "Main".into(),
            payer_address: "1 Main St".into(),
            currency: "EUR".into(),
            lines: (0..120).map(line).collect(),
            subtotals: vec![("Sub A".into(), "142.80".into())],
            subtotal: "120.00".into(),
            tax: "22.80".into(),
            total: "142.80".into(),
        });
        let text = String::from_utf8_lossy(&bytes);
        // Every line is printed (none cut off at the end of the first page).
        assert!(text.contains("Service number 119 with a long description"));
        assert!(text.contains("Sub A") && text.contains("142.80 EUR"));
        assert!(text.contains("/Count 5"), "120 wrapped lines need 5 pages");
    }
}

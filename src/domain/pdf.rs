//! Invoice PDFs: a single A4 page written with `pdf-writer`, using the standard Helvetica
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
    /// The title line, e.g. `Invoice INV-2026-000001`.
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

/// Renders the invoice to PDF bytes.
pub fn render_invoice(doc: &InvoiceDocument) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let page_id = Ref::new(3);
    let font = Ref::new(4);
    let bold = Ref::new(5);
    let contents = Ref::new(6);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
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
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));

    let mut c = Content::new();
    let mut y = 790.0;
    let text = |c: &mut Content, x: f32, y: f32, size: f32, bold: bool, s: &str| {
        c.begin_text();
        c.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        c.next_line(x, y);
        c.show(Str(&latin1(s)));
        c.end_text();
    };
    text(&mut c, 50.0, y, 20.0, true, &doc.heading.clone());
    y -= 24.0;
    text(
        &mut c,
        50.0,
        y,
        11.0,
        false,
        &format!("Date: {}", doc.issued_on),
    );
    y -= 30.0;
    text(&mut c, 50.0, y, 11.0, true, "Bill to");
    y -= 15.0;
    text(&mut c, 50.0, y, 11.0, false, &doc.payer_name);
    y -= 15.0;
    text(&mut c, 50.0, y, 11.0, false, &doc.payer_address);
    y -= 35.0;
    for (x, head) in [
        (50.0, "Description"),
        (300.0, "Qty"),
        (340.0, "Unit price"),
        (420.0, "Tax %"),
        (480.0, "Total"),
    ] {
        text(&mut c, x, y, 10.0, true, head);
    }
    y -= 16.0;
    for line in &doc.lines {
        let description: String = line.description.chars().take(45).collect();
        text(&mut c, 50.0, y, 10.0, false, &description);
        text(&mut c, 300.0, y, 10.0, false, &line.quantity.to_string());
        text(&mut c, 340.0, y, 10.0, false, &line.unit_price);
        text(&mut c, 420.0, y, 10.0, false, &line.tax_percent);
        text(&mut c, 480.0, y, 10.0, false, &line.total);
        y -= 14.0;
        if y < 140.0 {
            break;
        }
    }
    if !doc.subtotals.is_empty() {
        y -= 12.0;
        text(&mut c, 50.0, y, 10.0, true, "Subtotals per sub-account");
        y -= 14.0;
        for (name, amount) in &doc.subtotals {
            text(&mut c, 50.0, y, 10.0, false, name);
            text(&mut c, 480.0, y, 10.0, false, amount);
            y -= 14.0;
        }
    }
    y -= 20.0;
    for (label, amount, strong) in [
        ("Subtotal", &doc.subtotal, false),
        ("Tax", &doc.tax, false),
        ("Total", &doc.total, true),
    ] {
        text(&mut c, 340.0, y, 11.0, strong, label);
        text(
            &mut c,
            480.0,
            y,
            11.0,
            strong,
            &format!("{amount} {}", doc.currency),
        );
        y -= 16.0;
    }
    pdf.stream(contents, &c.finish());
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
}

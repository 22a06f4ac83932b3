//! Arbitrary bytes as a workbook through the workbook reader, as `bsc
//! evaluate --data book.xlsx` reads it: open, list periods, collect rows
//! for the portfolio card.
//!
//! Raw bytes rarely get past the zip container (its checksums), so an
//! input whose first byte is odd is taken as the XML of one sheet instead
//! (its shared strings after the first NUL byte) and wrapped in an
//! otherwise well-formed .xlsx.
#![no_main]

use std::io::{Cursor, Write};

use bsc::data::rows::Collector;
use bsc::data::workbook;
use bsc::portfolio::{Plan, Selection};
use bsc_fuzz::{branch, mem_file};
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A one-sheet .xlsx around the given sheet and shared-strings XML.
fn workbook(sheet: &[u8], strings: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let parts: [(&str, &[u8]); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
    ];
    for (name, bytes) in parts {
        zip.start_file(name, opts).expect("zip to memory");
        zip.write_all(bytes).expect("zip to memory");
    }
    zip.finish().expect("zip to memory").into_inner()
}

fuzz_target!(|data: &[u8]| {
    let bytes = match data.split_first() {
        Some((first, rest)) if first % 2 == 1 => {
            let cut = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let strings = rest.get(cut + 1..).unwrap_or(&[]);
            workbook(&rest[..cut], strings)
        }
        _ => data.to_vec(),
    };
    let file = mem_file(&bytes);
    let card = branch();
    let book = match workbook::open(&file.path) {
        Ok(Ok(book)) => book,
        Ok(Err(errors)) => {
            assert!(!errors.is_empty(), "a rejected workbook names a problem");
            return;
        }
        Err(e) => panic!("I/O error on an in-memory file: {e}"),
    };
    let periods = book.periods();
    if periods.is_empty() {
        return;
    }
    for selection in [
        Selection::Latest,
        Selection::Span {
            from: None,
            to: None,
        },
    ] {
        let Ok(plan) = Plan::new(periods.clone(), &selection) else {
            continue;
        };
        let mut collector = Collector::new(
            card,
            &plan.periods,
            plan.needed(),
            plan.current.clone(),
            false,
        );
        book.read(&mut collector);
        let (_, errors) = collector.finish();
        assert!(
            errors.total >= errors.items.len(),
            "the error count covers the kept errors"
        );
    }
});

use std::time::Instant;
use std::str::FromStr;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let card_path = std::env::args().nth(2).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let f = std::fs::File::open(&path).unwrap();
        let mut rdr = csv::ReaderBuilder::new().flexible(true).buffer_capacity(1<<16).from_reader(f);
        let mut rec = csv::ByteRecord::new();
        let mut n = 0u64;
        while rdr.read_byte_record(&mut rec).unwrap() { n += rec.len() as u64; }
        println!("parse-only {:?} {n}", t.elapsed());
        let t = Instant::now();
        let f = std::fs::File::open(&path).unwrap();
        let mut rdr = csv::ReaderBuilder::new().flexible(true).buffer_capacity(1<<16).from_reader(f);
        let mut s = rust_decimal::Decimal::ZERO;
        while rdr.read_byte_record(&mut rec).unwrap() {
            let v = std::str::from_utf8(&rec[3]).unwrap();
            s += rust_decimal::Decimal::from_str_exact(v).unwrap();
        }
        println!("parse+dec {:?} {s}", t.elapsed());
    }
    let mut diags = bsc::diag::Diagnostics::default();
    let card = bsc::read_scorecard(std::path::Path::new(&card_path), &mut diags).unwrap().unwrap().scorecard.unwrap();
    // one unit's measurements
    let mut m = bsc::measure::Measurements::default();
    m.period = "p".into();
    let f = std::fs::File::open(&path).unwrap();
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(f);
    let mut rec = csv::StringRecord::new();
    let mut units = vec![];
    let mut cur = String::new();
    while rdr.read_record(&mut rec).unwrap() {
        if rec[1] != cur { if !cur.is_empty() { units.push(std::mem::take(&mut m.values)); } cur = rec[1].to_string(); }
        m.values.insert(rec[2].to_string(), rust_decimal::Decimal::from_str(&rec[3]).unwrap());
    }
    units.push(std::mem::take(&mut m.values));
    let t = Instant::now();
    let mut c = 0;
    for v in &units { m.values = v.clone(); let e = bsc::score::evaluate(&card, &m, None).unwrap(); if e.composite.score.is_some() { c += 1; } }
    println!("evaluate {} units {:?}", c, t.elapsed());
}

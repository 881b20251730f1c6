//! Reading rendered pages as a person would: tables by caption, cells as text (scraper, an HTML5 parser).

use scraper::{ElementRef, Html, Selector};

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

fn text(element: ElementRef<'_>) -> String {
    element.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Returns the body rows (each cell's text, header cells included) of the table whose caption starts with
/// `caption`; panics, showing the captions there are, when there is none.
pub fn table(html: &str, caption: &str) -> Vec<Vec<String>> {
    let doc = Html::parse_document(html);
    let mut captions = Vec::new();
    for table in doc.select(&selector("table")) {
        let found = table.select(&selector("caption")).next().map(text).unwrap_or_default();
        if found.starts_with(caption) {
            return table
                .select(&selector("tbody tr"))
                .map(|row| row.select(&selector("th, td")).map(text).collect())
                .collect();
        }
        captions.push(found);
    }
    panic!("no table captioned {caption:?}; captions: {captions:?}\n{html}")
}

/// Returns the text of every element matching `css`.
pub fn texts(html: &str, css: &str) -> Vec<String> {
    Html::parse_document(html).select(&selector(css)).map(text).collect()
}

/// Returns the `href` of every link whose text is `label`.
pub fn links(html: &str, label: &str) -> Vec<String> {
    Html::parse_document(html)
        .select(&selector("a"))
        .filter(|a| text(*a) == label)
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

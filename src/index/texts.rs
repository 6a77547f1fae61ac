//! Texts of the index, one per entry: as they are ([`Texts`]) or compressed ([`Compressed`]).

use std::io;

use lz4_flex::block;

/// One text per entry, all in one allocation. A hundred thousand boxed texts of a kilobyte
/// each waste the allocator's rounding and pin the pages they share with the build's
/// short-lived allocations; one block is exact and is handed back whole.
#[derive(Debug, Default)]
pub struct Texts {
    bytes: String,
    /// The end of each entry's text in `bytes`.
    ends: Vec<usize>,
}

impl Texts {
    pub fn push(&mut self, text: &str) {
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
    }

    pub fn get(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]);
        &self.bytes[start..self.ends[i]]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// How much of the samples the dictionary keeps: LZ4 reads it again for every text it
/// compresses, and more than this gained nothing on the national set (docs/decisions.md §14).
const DICTIONARY_BYTES: usize = 2048;
/// How many texts, spread over the set, the dictionary is taken from.
const SAMPLES: usize = 64;

/// One text per entry, each compressed (LZ4) on its own against a dictionary of sample texts
/// from the same set. Short texts alike in their member names and values (a provision's
/// opening hours, service areas, timestamps) share little within themselves and much with
/// each other: the dictionary holds what they share.
#[derive(Debug, Default)]
pub struct Compressed {
    dictionary: Box<[u8]>,
    bytes: Vec<u8>,
    /// The end of each entry's block in `bytes`, and the size of its text.
    blocks: Vec<(usize, u32)>,
}

impl Compressed {
    pub fn new(texts: &Texts) -> Self {
        let step = (texts.len() / SAMPLES).max(1);
        let mut samples = Vec::new();
        for i in (0..texts.len()).step_by(step) {
            samples.extend_from_slice(texts.get(i).as_bytes());
        }
        let dictionary: Box<[u8]> =
            samples[samples.len().saturating_sub(DICTIONARY_BYTES)..].into();
        let mut compressed = Compressed {
            dictionary,
            bytes: Vec::new(),
            blocks: Vec::with_capacity(texts.len()),
        };
        let mut block = Vec::new();
        for i in 0..texts.len() {
            let text = texts.get(i).as_bytes();
            block.resize(block::get_maximum_output_size(text.len()), 0);
            let size = block::compress_into_with_dict(text, &mut block, &compressed.dictionary)
                .expect("an output of the maximum size holds any block");
            compressed.bytes.extend_from_slice(&block[..size]);
            let len = u32::try_from(text.len()).expect("a text under 4 GB");
            compressed.blocks.push((compressed.bytes.len(), len));
        }
        compressed.bytes.shrink_to_fit();
        compressed
    }

    /// The size of entry `i`'s text.
    pub fn text_len(&self, i: usize) -> usize {
        self.blocks[i].1 as usize
    }

    /// Appends entry `i`'s text to `out`. Fails only if the block was damaged in memory.
    pub fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<(), io::Error> {
        let start = i.checked_sub(1).map_or(0, |p| self.blocks[p].0);
        let (end, len) = self.blocks[i];
        let at = out.len();
        out.resize(at + len as usize, 0);
        let block = &self.bytes[start..end];
        match block::decompress_into_with_dict(block, &mut out[at..], &self.dictionary) {
            Ok(n) if n == len as usize => Ok(()),
            written => {
                out.truncate(at);
                Err(io::Error::other(format!(
                    "text {i} decompressed to {written:?} instead of {len} bytes"
                )))
            }
        }
    }

    /// The memory the texts take, in bytes.
    #[cfg(test)]
    fn size(&self) -> usize {
        self.dictionary.len() + self.bytes.len() + self.blocks.len() * size_of::<(usize, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_texts_come_back_as_they_were() {
        let mut texts = Texts::default();
        let week = r#""openingHours":[{"day":"monday","opens":"09:00","closes":"17:00"},{"day":"tuesday","opens":"09:00","closes":"17:00"},{"day":"wednesday","opens":"09:00","closes":"12:00"}]"#;
        let samples = [
            format!(r#","description":"Inloop voor ouders",{week},"version":1}}"#),
            String::new(),
            format!(r#","description":"Café \"de Brug\": één keer per week",{week},"version":3}}"#),
            "x".into(),
        ];
        for i in 0..500 {
            texts.push(&format!("{}{}", samples[i % samples.len()], i));
        }
        texts.push("");
        let compressed = Compressed::new(&texts);
        let mut out = b"prefix".to_vec();
        for i in 0..texts.len() {
            out.truncate(6);
            compressed.write(i, &mut out).expect("decompress");
            assert_eq!(&out[6..], texts.get(i).as_bytes(), "text {i}");
            assert_eq!(compressed.text_len(i), texts.get(i).len());
        }
        let raw: usize = (0..texts.len()).map(|i| texts.get(i).len()).sum();
        assert!(
            compressed.size() < raw / 2,
            "{} of {raw}",
            compressed.size()
        );
    }

    #[test]
    fn no_texts_compress_to_nothing() {
        let compressed = Compressed::new(&Texts::default());
        assert_eq!(compressed.size(), 0);
    }
}

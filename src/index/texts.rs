//! Texts of the index, one per entry: as they are ([`Texts`]) or compressed ([`Compressed`]).

use std::io;

use lz4_flex::block;

/// How much text one chunk of [`Texts`] holds (more for a longer text).
const CHUNK_BYTES: usize = 8 << 20;

/// One text per entry, in chunks of 8 MiB. A hundred thousand boxed texts of a kilobyte
/// each waste the allocator's rounding and pin the pages they share with the build's
/// short-lived allocations; one growing block would be copied to twice its size at every
/// doubling (the national set's summaries are 71 MB), each time into memory the kernel must
/// zero first. Chunks are filled once and handed back whole.
#[derive(Debug, Default)]
pub struct Texts {
    chunks: Vec<String>,
    /// Each entry's chunk, and where in it its text starts and ends.
    spans: Vec<(u32, u32, u32)>,
}

impl Texts {
    pub fn push(&mut self, text: &str) {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= text.len());
        if !fits {
            self.chunks
                .push(String::with_capacity(CHUNK_BYTES.max(text.len())));
        }
        let index = self.chunks.len() - 1;
        let chunk = &mut self.chunks[index];
        let start = chunk.len();
        chunk.push_str(text);
        // A chunk holds at most one text over CHUNK_BYTES; the index's texts are far shorter
        // than 4 GiB.
        let at = |n: usize| u32::try_from(n).expect("a text under 4 GiB");
        self.spans.push((at(index), at(start), at(chunk.len())));
    }

    pub fn get(&self, i: usize) -> &str {
        let (chunk, start, end) = self.spans[i];
        &self.chunks[chunk as usize][start as usize..end as usize]
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn shrink_to_fit(&mut self) {
        if let Some(last) = self.chunks.last_mut() {
            last.shrink_to_fit();
        }
        self.chunks.shrink_to_fit();
        self.spans.shrink_to_fit();
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
    fn texts_over_several_chunks_come_back_as_they_were() {
        let mut texts = Texts::default();
        let long = "é".repeat(CHUNK_BYTES);
        let mut expected = Vec::new();
        for i in 0..3_000 {
            let text = match i % 1_000 {
                0 => String::new(),
                500 => long.clone(),
                n => format!("tekst {i} ").repeat(n % 97),
            };
            texts.push(&text);
            expected.push(text);
        }
        texts.shrink_to_fit();
        assert!(texts.chunks.len() > 4, "{} chunks", texts.chunks.len());
        assert_eq!(texts.len(), expected.len());
        for (i, text) in expected.iter().enumerate() {
            assert_eq!(texts.get(i), text, "text {i}");
        }
    }

    #[test]
    fn no_texts_compress_to_nothing() {
        let compressed = Compressed::new(&Texts::default());
        assert_eq!(compressed.size(), 0);
    }
}

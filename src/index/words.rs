//! The Dutch text index: every folded word of the indexed texts, numbered in sorted order so
//! that the words sharing a prefix are one range of numbers, with the stem of each word and the
//! entries each word occurs in.

use rustc_hash::FxHashMap as HashMap;
use std::ops::Range;

use crate::domain::text;

/// Word numbers, in sorted order of the words.
pub type WordId = u32;

#[derive(Debug, Default)]
pub struct Dictionary {
    /// Sorted; a word's number is its position.
    words: Vec<Box<str>>,
    /// Stem → the words with that stem (sorted).
    by_stem: HashMap<Box<str>, Vec<WordId>>,
    /// Word → the entries it occurs in (sorted).
    postings: Vec<Vec<u32>>,
}

/// The words one query word matches: those it is a prefix of (type-ahead), and those with
/// its stem ("bibliotheken" finds "bibliotheek").
#[derive(Debug, Clone, Default)]
pub struct WordMatch {
    prefixed: Range<WordId>,
    same_stem: Vec<WordId>,
}

impl WordMatch {
    /// Whether an entry with these words (sorted) matches.
    pub fn matches(&self, words: &[WordId]) -> bool {
        let first = words.partition_point(|&w| w < self.prefixed.start);
        words.get(first).is_some_and(|&w| w < self.prefixed.end)
            || self
                .same_stem
                .iter()
                .any(|w| words.binary_search(w).is_ok())
    }
}

impl Dictionary {
    /// What each word of `query` matches; `None` when the query has no words.
    pub fn query(&self, query: &str) -> Option<Vec<WordMatch>> {
        let matches: Vec<WordMatch> = text::words(query).map(|w| self.word(&w)).collect();
        (!matches.is_empty()).then_some(matches)
    }

    fn word(&self, word: &str) -> WordMatch {
        let start = self.words.partition_point(|w| &**w < word);
        let len = self.words[start..]
            .iter()
            .take_while(|w| w.starts_with(word))
            .count();
        WordMatch {
            prefixed: start as WordId..(start + len) as WordId,
            same_stem: self
                .by_stem
                .get(text::stem(word).as_str())
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// The entries matching every query word, sorted.
    pub fn entries(&self, query: &[WordMatch]) -> Vec<u32> {
        let mut result: Option<Vec<u32>> = None;
        for m in query {
            let mut hit: Vec<u32> = m
                .prefixed
                .clone()
                .chain(m.same_stem.iter().copied())
                .flat_map(|w| self.postings[w as usize].iter().copied())
                .collect();
            hit.sort_unstable();
            hit.dedup();
            result = Some(match result {
                None => hit,
                Some(prev) => prev
                    .into_iter()
                    .filter(|i| hit.binary_search(i).is_ok())
                    .collect(),
            });
        }
        result.unwrap_or_default()
    }
}

/// The words of each entry (sorted, each once), all in one array.
#[derive(Debug, Default)]
pub struct WordLists {
    ids: Vec<WordId>,
    /// `(start, len)` of each entry's words in `ids`.
    spans: Vec<(u32, u32)>,
}

impl WordLists {
    fn push(&mut self, words: &[WordId]) -> (u32, u32) {
        let span = (self.ids.len() as u32, words.len() as u32);
        self.ids.extend_from_slice(words);
        self.spans.push(span);
        span
    }

    /// Where entry `i`'s words are, for [`Self::slice`].
    pub fn span(&self, i: usize) -> (u32, u32) {
        self.spans[i]
    }

    pub fn slice(&self, (start, len): (u32, u32)) -> &[WordId] {
        &self.ids[start as usize..(start + len) as usize]
    }

    pub fn get(&self, i: usize) -> &[WordId] {
        self.slice(self.spans[i])
    }

    /// The same lists, laid out in memory in the order of the entries in `order` (an entry
    /// listed again keeps its first place; entries not listed follow in their own order).
    pub fn laid_out(&self, order: impl IntoIterator<Item = usize>) -> WordLists {
        const UNPLACED: (u32, u32) = (u32::MAX, 0);
        let mut laid = WordLists {
            ids: Vec::with_capacity(self.ids.len()),
            spans: vec![UNPLACED; self.spans.len()],
        };
        let all = 0..self.spans.len();
        for i in order.into_iter().chain(all) {
            if laid.spans[i] == UNPLACED {
                let span = (laid.ids.len() as u32, self.spans[i].1);
                laid.ids.extend_from_slice(self.get(i));
                laid.spans[i] = span;
            }
        }
        laid
    }
}

/// Collects the words of the entries in order, then numbers them.
#[derive(Debug, Default)]
pub struct DictionaryBuilder {
    provisional: HashMap<Box<str>, WordId>,
    /// Provisional words of each entry.
    entries: WordLists,
}

impl DictionaryBuilder {
    /// The provisional numbers of the words of `text`, for use with [`Self::add_entry`].
    pub fn words_of(&mut self, text: &str, into: &mut Vec<WordId>) {
        let folded = text::fold(text);
        for word in folded.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() {
                continue;
            }
            let next = self.provisional.len() as WordId;
            let id = match self.provisional.get(word) {
                Some(&id) => id,
                None => {
                    self.provisional.insert(word.into(), next);
                    next
                }
            };
            into.push(id);
        }
    }

    /// Adds the next entry (entries are numbered from 0 in the order added).
    pub fn add_entry(&mut self, mut words: Vec<WordId>) {
        words.sort_unstable();
        words.dedup();
        self.entries.push(&words);
    }

    /// The dictionary, and the words of each entry (sorted) in final numbers.
    pub fn finish(self) -> (Dictionary, WordLists) {
        let mut words: Vec<(Box<str>, WordId)> = self.provisional.into_iter().collect();
        words.sort_unstable();
        let mut renumber = vec![0; words.len()];
        for (final_id, (_, provisional)) in words.iter().enumerate() {
            renumber[*provisional as usize] = final_id as WordId;
        }
        let words: Vec<Box<str>> = words.into_iter().map(|(w, _)| w).collect();
        let mut by_stem: HashMap<Box<str>, Vec<WordId>> = HashMap::default();
        for (id, word) in words.iter().enumerate() {
            by_stem
                .entry(text::stem(word).into())
                .or_default()
                .push(id as WordId);
        }
        let mut postings = vec![Vec::new(); words.len()];
        let mut entries = self.entries;
        for entry in 0..entries.spans.len() {
            let (start, len) = entries.span(entry);
            let ids = &mut entries.ids[start as usize..(start + len) as usize];
            for w in ids.iter_mut() {
                *w = renumber[*w as usize];
                postings[*w as usize].push(entry as u32);
            }
            ids.sort_unstable();
        }
        entries.ids.shrink_to_fit();
        entries.spans.shrink_to_fit();
        (
            Dictionary {
                words,
                by_stem,
                postings,
            },
            entries,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary(texts: &[&str]) -> (Dictionary, WordLists) {
        let mut b = DictionaryBuilder::default();
        for t in texts {
            let mut ids = Vec::new();
            b.words_of(t, &mut ids);
            b.add_entry(ids);
        }
        b.finish()
    }

    #[test]
    fn prefix_stem_and_folding_match_by_postings_and_per_entry_alike() {
        let (d, entries) = dictionary(&[
            "Bibliotheek Centrum",
            "Opvoedondersteuning en opvoeden",
            "Café de Buurt",
            "Cursussen voor ouders",
        ]);
        for (q, expected) in [
            ("bibliotheken", vec![0]),
            ("opvoe", vec![1]),
            ("cafe", vec![2]),
            ("CURSUS OUDER", vec![3]),
            ("cursus centrum", vec![]),
            ("zzz", vec![]),
        ] {
            let m = d.query(q).expect("words");
            assert_eq!(d.entries(&m), expected, "{q}");
            let per_entry: Vec<u32> = (0..entries.spans.len() as u32)
                .filter(|&i| m.iter().all(|w| w.matches(entries.get(i as usize))))
                .collect();
            assert_eq!(per_entry, expected, "{q} per entry");
        }
        assert!(d.query(" - ").is_none());
    }

    #[test]
    fn laid_out_lists_keep_each_entrys_words_in_the_order_given() {
        let (_, entries) = dictionary(&["a b", "c", "d e f", "b c"]);
        let laid = entries.laid_out([2, 0, 2]);
        for i in 0..4 {
            assert_eq!(laid.get(i), entries.get(i), "entry {i}");
        }
        // Entry 2 first, then 0; 1 and 3 (not listed) after them, in their own order.
        let starts: Vec<u32> = [2, 0, 1, 3].iter().map(|&i| laid.span(i).0).collect();
        assert_eq!(starts, [0, 3, 5, 6]);
        assert_eq!(laid.ids.len(), entries.ids.len());
    }
}

//! A compact column of text cells: one string buffer and the end offset of each cell (an empty
//! cell stands for a missing one).

/// Text cells stored back to back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextColumn {
    text: String,
    ends: Vec<usize>,
}

impl TextColumn {
    /// An empty column with room for `rows` cells of about `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        TextColumn {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    /// Appends a cell.
    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    /// Removes the last cell.
    pub fn pop(&mut self) {
        if self.ends.pop().is_some() {
            let end = self.ends.last().copied().unwrap_or(0);
            self.text.truncate(end);
        }
    }

    /// Appends every cell of `other`.
    pub fn append(&mut self, other: &TextColumn) {
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no cells.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cell at `row` (empty for a missing cell or a row out of range).
    pub fn get(&self, row: usize) -> &str {
        let Some(&end) = self.ends.get(row) else {
            return "";
        };
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        self.text.get(start..end).unwrap_or("")
    }

    /// The cell at `row`, or `None` when it is empty.
    pub fn value(&self, row: usize) -> Option<&str> {
        Some(self.get(row)).filter(|s| !s.is_empty())
    }

    /// Iterates over the cells (`None` for empty ones).
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|r| self.value(r))
    }

    /// Number of distinct non-empty values, counting no further than `limit + 1`.
    pub fn distinct_up_to(&self, limit: usize) -> usize {
        let mut seen = std::collections::HashSet::new();
        for v in self.iter().flatten() {
            seen.insert(v);
            if seen.len() > limit {
                break;
            }
        }
        seen.len()
    }
}

impl<'a> FromIterator<Option<&'a str>> for TextColumn {
    fn from_iter<I: IntoIterator<Item = Option<&'a str>>>(iter: I) -> Self {
        let mut col = TextColumn::default();
        for v in iter {
            col.push(v.unwrap_or(""));
        }
        col
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_append() {
        let mut a: TextColumn = [Some("x"), None, Some("yz")].into_iter().collect();
        assert_eq!(a.len(), 3);
        assert_eq!(a.get(0), "x");
        assert_eq!(a.value(1), None);
        assert_eq!(a.get(2), "yz");
        assert_eq!(a.get(9), "");
        let b: TextColumn = [Some("é")].into_iter().collect();
        a.append(&b);
        assert_eq!(a.get(3), "é");
        assert_eq!(a.distinct_up_to(10), 3);
        assert_eq!(a.distinct_up_to(1), 2);
    }
}

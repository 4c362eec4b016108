//! The category directory of a knowledge base (`wenda browse`, `GET /categories`):
//! categories are paths separated by `/` (`车险/报案与理赔`), shown as a tree with counts.

use serde::Serialize;

use super::KnowledgeBase;
use super::entry::Entry;

/// One category of the tree.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryNode {
    /// The full path (`车险/报案与理赔`).
    pub path: String,
    /// The last part of the path (`报案与理赔`).
    pub name: String,
    /// How deep it is: 0 for a top-level category.
    pub depth: usize,
    /// Entries in this category and every category under it.
    pub entries: usize,
    /// Entries in exactly this category.
    pub own_entries: usize,
}

fn parts(category: &str) -> Vec<&str> {
    category
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The category tree, depth first in path order, with entry counts. With `under`, only that
/// category and what is below it.
pub fn category_tree(kb: &KnowledgeBase, under: Option<&str>) -> Vec<CategoryNode> {
    let mut nodes: std::collections::BTreeMap<Vec<&str>, (usize, usize)> = Default::default();
    for e in kb.entries() {
        let p = parts(&e.category);
        for depth in 1..=p.len() {
            let n = nodes.entry(p[..depth].to_vec()).or_default();
            n.0 += 1;
            if depth == p.len() {
                n.1 += 1;
            }
        }
    }
    let prefix = under.map(parts).unwrap_or_default();
    nodes
        .into_iter()
        .filter(|(p, _)| p.starts_with(&prefix))
        .map(|(p, (entries, own_entries))| CategoryNode {
            path: p.join("/"),
            name: p.last().map(|s| s.to_string()).unwrap_or_default(),
            depth: p.len() - 1,
            entries,
            own_entries,
        })
        .collect()
}

/// The entries of category `path` and of every category under it, in knowledge-base order.
pub fn entries_under<'a>(kb: &'a KnowledgeBase, path: &str) -> Vec<&'a Entry> {
    let prefix = parts(path);
    kb.entries()
        .iter()
        .filter(|e| parts(&e.category).starts_with(&prefix))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> KnowledgeBase {
        let e = |id: &str, cat: &str| Entry {
            id: id.into(),
            question: format!("问题{id}"),
            similar: vec![],
            answer: "答".into(),
            category: cat.into(),
            channels: Default::default(),
            source: Default::default(),
        };
        KnowledgeBase::from_entries(vec![
            e("a", "车险/报案"),
            e("b", "车险/报案"),
            e("c", "车险"),
            e("d", "非车险/意外险"),
        ])
        .unwrap()
    }

    #[test]
    fn tree_with_counts_and_a_subtree() {
        let kb = kb();
        let t = category_tree(&kb, None);
        let rows: Vec<(&str, usize, usize, usize)> = t
            .iter()
            .map(|n| (n.path.as_str(), n.depth, n.entries, n.own_entries))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("车险", 0, 3, 1),
                ("车险/报案", 1, 2, 2),
                ("非车险", 0, 1, 0),
                ("非车险/意外险", 1, 1, 1),
            ]
        );
        assert_eq!(category_tree(&kb, Some("非车险")).len(), 2);
        let ids: Vec<&str> = entries_under(&kb, "车险")
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(ids, vec!["a", "b", "c"]);
        assert!(entries_under(&kb, "车").is_empty(), "whole path parts only");
    }
}

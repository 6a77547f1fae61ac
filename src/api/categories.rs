//! The category taxonomy: open basic provisions and the iJw product categories.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::error::ApiError;
use crate::index::Reference;

/// A category with its subcategories.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Slug, e.g. `opvoedondersteuning` or `ijw-45`.
    #[schema(example = "opvoedondersteuning")]
    pub code: String,
    pub parent_code: Option<String>,
    /// `open` (freely accessible) or `indicated` (needs a municipal decision).
    #[schema(example = "open")]
    pub access: String,
    pub name_nl: String,
    pub name_en: String,
    /// How far families are expected to travel for it, in metres.
    pub default_reach_m: Option<i32>,
    /// iJw product category code (JZ020), for specialist care.
    pub ijw_code: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<Category>,
}

/// The whole tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryTree {
    /// Top-level categories, each with its subcategories.
    pub items: Vec<Category>,
}

fn node(reference: &Reference, code: &str) -> Option<Category> {
    let c = reference.categories.get(code)?;
    Some(Category {
        code: c.code.clone(),
        parent_code: c.parent_code.clone(),
        access: c.access.clone(),
        name_nl: c.name_nl.clone(),
        name_en: c.name_en.clone(),
        default_reach_m: c.default_reach_m,
        ijw_code: c.ijw_code.clone(),
        children: c
            .children
            .iter()
            .filter_map(|ch| node(reference, ch))
            .collect(),
    })
}

/// The category tree, in taxonomy order.
#[utoipa::path(get, path = "/categories", tag = "reference data", operation_id = "list_categories",
    responses((status = 200, description = "The category tree", body = CategoryTree)))]
pub async fn list_categories(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let reference = &state.reference;
    let items = reference
        .category_order
        .iter()
        .filter(|c| {
            reference
                .categories
                .get(*c)
                .is_some_and(|c| c.parent_code.is_none())
        })
        .filter_map(|c| node(reference, c))
        .collect();
    Ok(HttpResponse::Ok().json(CategoryTree { items }))
}

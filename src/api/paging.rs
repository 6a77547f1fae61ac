//! Pagination: `page` and `pageSize` in, items with `_links` (self, next, prev) out.

use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::registry::PageRequest;
use crate::error::ApiError;

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub page_size: Option<i64>,
}

impl PageParams {
    pub fn parse(self) -> Result<PageRequest, ApiError> {
        let mut errors = crate::domain::FieldErrors::new();
        self.check(&mut errors)
            .ok_or_else(|| ApiError::Invalid(errors.into_vec()))
    }

    /// The page asked for; every problem is recorded in `e`.
    pub fn check(self, e: &mut crate::domain::FieldErrors) -> Option<PageRequest> {
        let page = self.page.unwrap_or(1);
        let page_size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let mut valid = true;
        if !(1..=1_000_000).contains(&page) {
            e.add("page", "page must be between 1 and 1000000");
            valid = false;
        }
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            e.add(
                "pageSize",
                format!("pageSize must be between 1 and {MAX_PAGE_SIZE}"),
            );
            valid = false;
        }
        valid.then_some(PageRequest { page, page_size })
    }
}

/// A link to a related resource or page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    /// The address, relative to the host.
    pub href: String,
}

/// Navigation of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageLinks {
    #[serde(rename = "self")]
    pub self_: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<Link>,
}

/// Links to this resource itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfLinks {
    #[serde(rename = "self")]
    pub self_: Link,
}

impl SelfLinks {
    pub fn to(href: String) -> Self {
        Self {
            self_: Link { href },
        }
    }
}

/// The request's address with `page` set to any number: the query is read once per list.
struct PageHref {
    prefix: String,
}

impl PageHref {
    fn of(req: &HttpRequest) -> Self {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
            if k != "page" {
                query.append_pair(&k, &v);
            }
        }
        let mut prefix = format!("{}?{}", req.path(), query.finish());
        if !prefix.ends_with('?') {
            prefix.push('&');
        }
        prefix.push_str("page=");
        PageHref { prefix }
    }

    fn to(&self, page: i64) -> Link {
        Link {
            href: format!("{}{page}", self.prefix),
        }
    }
}

pub fn links(req: &HttpRequest, page: PageRequest, total: i64) -> PageLinks {
    let last = ((total + page.page_size - 1) / page.page_size).max(1);
    let href = PageHref::of(req);
    PageLinks {
        self_: href.to(page.page),
        next: (page.page < last).then(|| href.to(page.page + 1)),
        prev: (page.page > 1).then(|| href.to((page.page - 1).min(last))),
    }
}

/// Declares a paginated list type for the OpenAPI document and the handlers.
macro_rules! list_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// The items of this page.
            pub items: Vec<$item>,
            /// Number of items over all pages.
            pub total: i64,
            /// This page's number, from 1.
            pub page: i64,
            /// Items per page.
            pub page_size: i64,
            #[serde(rename = "_links")]
            pub links: $crate::api::paging::PageLinks,
        }

        impl $name {
            pub fn new(
                req: &actix_web::HttpRequest,
                items: Vec<$item>,
                total: i64,
                page: $crate::db::registry::PageRequest,
            ) -> Self {
                Self {
                    items,
                    total,
                    page: page.page,
                    page_size: page.page_size,
                    links: $crate::api::paging::links(req, page, total),
                }
            }
        }
    };
}
pub(crate) use list_type;

/// Slices an in-memory list to one page.
pub fn slice<T: Clone>(all: &[T], page: PageRequest) -> Vec<T> {
    let start = usize::try_from(page.offset())
        .unwrap_or(usize::MAX)
        .min(all.len());
    let end = start
        .saturating_add(usize::try_from(page.page_size).unwrap_or(0))
        .min(all.len());
    all[start..end].to_vec()
}

//! Row structs: the shape of the tables, nothing more. Wire types live in `api`.

use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = regions, treat_none_as_default_value = false)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub slug: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = municipalities, treat_none_as_default_value = false)]
pub struct MunicipalityRow {
    pub code: String,
    pub name: String,
    pub province: String,
    pub region_code: String,
    pub population: i64,
    pub population_0_14: i64,
    pub label_lat: f64,
    pub label_lon: f64,
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    pub geometry: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = areas, treat_none_as_default_value = false)]
pub struct AreaRow {
    pub code: String,
    pub level: String,
    pub name: String,
    pub municipality_code: String,
    pub parent_code: Option<String>,
    pub is_water: bool,
    pub population: i64,
    pub population_0_14: i64,
    pub label_lat: f64,
    pub label_lon: f64,
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    pub geometry: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postcodes, treat_none_as_default_value = false)]
pub struct PostcodeRow {
    pub pc4: String,
    pub lat: f64,
    pub lon: f64,
    pub place_name: String,
    pub municipality_code: Option<String>,
    pub area_code: Option<String>,
    pub reliable: bool,
    pub unreliable_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = categories, treat_none_as_default_value = false)]
pub struct CategoryRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub access: String,
    pub name_nl: String,
    pub name_en: String,
    pub default_reach_m: Option<i32>,
    pub ijw_code: Option<String>,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organisations, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct OrganisationRow {
    pub id: String,
    pub name: String,
    pub kvk_number: Option<String>,
    pub agb_code: Option<String>,
    pub description: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = provisions, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ProvisionRow {
    pub id: String,
    pub organisation_id: String,
    pub name: String,
    pub description: Option<String>,
    pub access: String,
    pub status: String,
    pub min_age: i32,
    pub max_age: i32,
    pub free_of_charge: bool,
    pub cost_description: Option<String>,
    /// JSON array of ISO 639-1 codes.
    pub languages: String,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// JSON array of `{day, opens, closes}`.
    pub opening_hours: String,
    pub verified_at: Option<String>,
    pub source: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = provision_categories, treat_none_as_default_value = false)]
pub struct ProvisionCategoryRow {
    pub provision_id: String,
    pub category_code: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = provision_locations, treat_none_as_default_value = false)]
pub struct LocationRow {
    pub id: String,
    pub provision_id: String,
    pub position: i32,
    pub name: Option<String>,
    pub street: String,
    pub house_number: String,
    pub postcode: String,
    pub city: String,
    pub lat: f64,
    pub lon: f64,
    pub municipality_code: Option<String>,
    pub area_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = provision_service_areas, treat_none_as_default_value = false)]
pub struct ServiceAreaRow {
    pub provision_id: String,
    pub scope: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = contracts, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ContractRow {
    pub id: String,
    pub organisation_id: String,
    pub scope: String,
    pub scope_code: Option<String>,
    pub reference: Option<String>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub source: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = contract_categories, treat_none_as_default_value = false)]
pub struct ContractCategoryRow {
    pub contract_id: String,
    pub category_code: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = basic_sets, treat_none_as_default_value = false)]
pub struct BasicSetRow {
    pub region_code: String,
    pub version: i32,
    pub adopted_on: String,
    pub illustrative: bool,
    pub note: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = basic_set_items, treat_none_as_default_value = false)]
pub struct BasicSetItemRow {
    pub region_code: String,
    pub version: i32,
    pub category_code: String,
    pub reach_m: i32,
    pub adopted_on: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = changes, treat_none_as_default_value = false)]
pub struct ChangeRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_role: String,
    pub resource_type: String,
    pub resource_id: String,
    pub action: String,
    pub fields: String,
    pub actor_organisation: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = changes, treat_none_as_default_value = false)]
pub struct NewChangeRow {
    pub at: String,
    pub actor: String,
    pub actor_role: String,
    pub resource_type: String,
    pub resource_id: String,
    pub action: String,
    pub fields: String,
    pub actor_organisation: Option<String>,
}

/// An anonymous referral record: no name, birth date, BSN, address or free text.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = referrals, treat_none_as_default_value = false)]
pub struct ReferralRow {
    pub id: String,
    pub municipality_code: String,
    pub area_code: Option<String>,
    pub need_category: String,
    pub ijw_category: String,
    pub organisation_id: String,
    /// The contract that allowed the referral.
    pub contract_id: String,
    pub referrer_type: String,
    pub referred_on: String,
    /// JSON array of the open provisions' ids that were considered.
    pub alternatives_considered: String,
    pub no_fit_reason: Option<String>,
    pub created_at: String,
}

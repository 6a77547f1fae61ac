//! The one schema for both backends, in portable types only.
// @generated-style: kept by hand in step with `migrations/{sqlite,postgres}`; a test checks
// that every table here exists after migrating either backend.

diesel::table! {
    regions (code) {
        code -> Text,
        name -> Text,
        short_name -> Text,
        slug -> Text,
    }
}

diesel::table! {
    municipalities (code) {
        code -> Text,
        name -> Text,
        province -> Text,
        region_code -> Text,
        population -> BigInt,
        population_0_14 -> BigInt,
        label_lat -> Double,
        label_lon -> Double,
        min_lon -> Double,
        min_lat -> Double,
        max_lon -> Double,
        max_lat -> Double,
        geometry -> Text,
    }
}

diesel::table! {
    areas (code) {
        code -> Text,
        level -> Text,
        name -> Text,
        municipality_code -> Text,
        parent_code -> Nullable<Text>,
        is_water -> Bool,
        population -> BigInt,
        population_0_14 -> BigInt,
        label_lat -> Double,
        label_lon -> Double,
        min_lon -> Double,
        min_lat -> Double,
        max_lon -> Double,
        max_lat -> Double,
        geometry -> Text,
    }
}

diesel::table! {
    postcodes (pc4) {
        pc4 -> Text,
        lat -> Double,
        lon -> Double,
        place_name -> Text,
        municipality_code -> Nullable<Text>,
        area_code -> Nullable<Text>,
        reliable -> Bool,
        unreliable_reason -> Nullable<Text>,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        access -> Text,
        name_nl -> Text,
        name_en -> Text,
        default_reach_m -> Nullable<Integer>,
        ijw_code -> Nullable<Text>,
        position -> Integer,
    }
}

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        kvk_number -> Nullable<Text>,
        agb_code -> Nullable<Text>,
        description -> Nullable<Text>,
        website -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        source -> Text,
        version -> BigInt,
        created_at -> Text,
        updated_at -> Text,
        deleted_at -> Nullable<Text>,
    }
}

diesel::table! {
    provisions (id) {
        id -> Text,
        organisation_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        access -> Text,
        status -> Text,
        min_age -> Integer,
        max_age -> Integer,
        free_of_charge -> Bool,
        cost_description -> Nullable<Text>,
        languages -> Text,
        website -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        opening_hours -> Text,
        verified_at -> Nullable<Text>,
        source -> Text,
        version -> BigInt,
        created_at -> Text,
        updated_at -> Text,
        deleted_at -> Nullable<Text>,
        document -> Nullable<Text>,
    }
}

diesel::table! {
    provision_categories (provision_id, category_code) {
        provision_id -> Text,
        category_code -> Text,
    }
}

diesel::table! {
    provision_locations (id) {
        id -> Text,
        provision_id -> Text,
        position -> Integer,
        name -> Nullable<Text>,
        street -> Text,
        house_number -> Text,
        postcode -> Text,
        city -> Text,
        lat -> Double,
        lon -> Double,
        municipality_code -> Nullable<Text>,
        area_code -> Nullable<Text>,
    }
}

diesel::table! {
    provision_service_areas (provision_id, scope, code) {
        provision_id -> Text,
        scope -> Text,
        code -> Text,
    }
}

diesel::table! {
    contracts (id) {
        id -> Text,
        organisation_id -> Text,
        scope -> Text,
        scope_code -> Nullable<Text>,
        reference -> Nullable<Text>,
        valid_from -> Text,
        valid_until -> Nullable<Text>,
        source -> Text,
        version -> BigInt,
        created_at -> Text,
        updated_at -> Text,
        deleted_at -> Nullable<Text>,
    }
}

diesel::table! {
    contract_categories (contract_id, category_code) {
        contract_id -> Text,
        category_code -> Text,
    }
}

diesel::table! {
    basic_sets (region_code, version) {
        region_code -> Text,
        version -> Integer,
        adopted_on -> Text,
        illustrative -> Bool,
        note -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    basic_set_items (region_code, version, category_code) {
        region_code -> Text,
        version -> Integer,
        category_code -> Text,
        reach_m -> Integer,
        adopted_on -> Text,
    }
}

diesel::table! {
    referrals (id) {
        id -> Text,
        municipality_code -> Text,
        area_code -> Nullable<Text>,
        need_category -> Text,
        ijw_category -> Text,
        organisation_id -> Text,
        contract_id -> Text,
        referrer_type -> Text,
        referred_on -> Text,
        alternatives_considered -> Text,
        no_fit_reason -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        at -> Text,
        actor -> Text,
        actor_role -> Text,
        resource_type -> Text,
        resource_id -> Text,
        action -> Text,
        fields -> Text,
        actor_organisation -> Nullable<Text>,
    }
}

diesel::joinable!(municipalities -> regions (region_code));
diesel::joinable!(areas -> municipalities (municipality_code));
diesel::joinable!(provisions -> organisations (organisation_id));
diesel::joinable!(provision_categories -> provisions (provision_id));
diesel::joinable!(provision_locations -> provisions (provision_id));
diesel::joinable!(provision_service_areas -> provisions (provision_id));
diesel::joinable!(contracts -> organisations (organisation_id));
diesel::joinable!(contract_categories -> contracts (contract_id));

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    municipalities,
    areas,
    postcodes,
    categories,
    organisations,
    provisions,
    provision_categories,
    provision_locations,
    provision_service_areas,
    contracts,
    contract_categories,
    basic_sets,
    basic_set_items,
    referrals,
    changes,
);

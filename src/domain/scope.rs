//! Where a provision may be used (service area) and what a contract covers.

use super::codes::{AreaCode, MunicipalityCode, RegionCode};

/// One entry of a provision's service area (werkgebied).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServiceArea {
    National,
    Region(RegionCode),
    Municipality(MunicipalityCode),
    Area(AreaCode),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScopeError(String);

impl ServiceArea {
    /// Parses the wire form `{scope, code}`; `national` takes no code.
    pub fn parse(scope: &str, code: Option<&str>) -> Result<Self, ScopeError> {
        let need = |code: Option<&str>| {
            code.ok_or_else(|| ScopeError(format!("scope '{scope}' needs a code")))
                .map(str::to_owned)
        };
        let map = |e: super::codes::CodeError| ScopeError(e.to_string());
        match scope {
            "national" if code.is_none() => Ok(ServiceArea::National),
            "national" => Err(ScopeError("scope 'national' takes no code".into())),
            "region" => RegionCode::parse(&need(code)?)
                .map(ServiceArea::Region)
                .map_err(map),
            "municipality" => MunicipalityCode::parse(&need(code)?)
                .map(ServiceArea::Municipality)
                .map_err(map),
            "area" => AreaCode::parse(&need(code)?)
                .map(ServiceArea::Area)
                .map_err(map),
            other => Err(ScopeError(format!(
                "'{other}' is not a service-area scope (national, region, municipality, area)"
            ))),
        }
    }

    pub fn scope(&self) -> &'static str {
        match self {
            ServiceArea::National => "national",
            ServiceArea::Region(_) => "region",
            ServiceArea::Municipality(_) => "municipality",
            ServiceArea::Area(_) => "area",
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            ServiceArea::National => None,
            ServiceArea::Region(c) => Some(c.as_str()),
            ServiceArea::Municipality(c) => Some(c.as_str()),
            ServiceArea::Area(c) => Some(c.as_str()),
        }
    }

    /// Whether a resident of `municipality` (in `region`, optionally in `area`) may use it.
    pub fn covers(
        &self,
        municipality: &MunicipalityCode,
        region: &RegionCode,
        area: Option<&AreaCode>,
    ) -> bool {
        match self {
            ServiceArea::National => true,
            ServiceArea::Region(r) => r == region,
            ServiceArea::Municipality(m) => m == municipality,
            ServiceArea::Area(a) => area.is_some_and(|x| x == a || &x.wijk() == a),
        }
    }
}

/// Who contracted a provider: the VNG nationally (LTA), a region, or one municipality.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContractScope {
    National,
    Region(RegionCode),
    Municipality(MunicipalityCode),
}

impl ContractScope {
    pub fn parse(scope: &str, code: Option<&str>) -> Result<Self, ScopeError> {
        match ServiceArea::parse(scope, code)? {
            ServiceArea::National => Ok(ContractScope::National),
            ServiceArea::Region(r) => Ok(ContractScope::Region(r)),
            ServiceArea::Municipality(m) => Ok(ContractScope::Municipality(m)),
            ServiceArea::Area(_) => Err(ScopeError(
                "contracts are made nationally, by a region or by a municipality, not per area"
                    .into(),
            )),
        }
    }

    pub fn scope(&self) -> &'static str {
        match self {
            ContractScope::National => "national",
            ContractScope::Region(_) => "region",
            ContractScope::Municipality(_) => "municipality",
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            ContractScope::National => None,
            ContractScope::Region(c) => Some(c.as_str()),
            ContractScope::Municipality(c) => Some(c.as_str()),
        }
    }

    /// Whether a contract of this scope applies to residents of `municipality` in `region`.
    pub fn covers(&self, municipality: &MunicipalityCode, region: &RegionCode) -> bool {
        match self {
            ContractScope::National => true,
            ContractScope::Region(r) => r == region,
            ContractScope::Municipality(m) => m == municipality,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> (MunicipalityCode, RegionCode) {
        (
            MunicipalityCode::parse("GM1674").expect("Roosendaal"),
            RegionCode::parse("JZ36").expect("WBW"),
        )
    }

    #[test]
    fn service_areas_cover_only_their_residents() {
        let (roosendaal, wbw) = codes();
        let zundert = MunicipalityCode::parse("GM0879").expect("Zundert");
        let only_roosendaal = ServiceArea::parse("municipality", Some("GM1674")).expect("valid");
        assert!(only_roosendaal.covers(&roosendaal, &wbw, None));
        assert!(!only_roosendaal.covers(&zundert, &wbw, None));
        assert!(
            ServiceArea::parse("national", None)
                .expect("valid")
                .covers(&zundert, &wbw, None)
        );
        let wijk = ServiceArea::parse("area", Some("WK167401")).expect("valid");
        let buurt = AreaCode::parse("BU16740101").expect("buurt");
        assert!(wijk.covers(&roosendaal, &wbw, Some(&buurt)));
        assert!(!wijk.covers(&roosendaal, &wbw, None));
    }

    #[test]
    fn scopes_need_the_right_code() {
        assert!(ServiceArea::parse("national", Some("GM0748")).is_err());
        assert!(ServiceArea::parse("region", None).is_err());
        assert!(ServiceArea::parse("region", Some("GM0748")).is_err());
        assert!(ServiceArea::parse("planet", Some("x")).is_err());
        assert!(ContractScope::parse("area", Some("WK074801")).is_err());
    }
}

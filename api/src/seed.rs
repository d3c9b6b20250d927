//! The municipality's districts on first start: from `DORFAPP_SEED_FILE`, or the built-in
//! Ballenstedt seed.

use std::path::Path;

use sea_orm::{DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait};
use serde::Deserialize;

use domain::{clock::SharedClock, districts};

/// The built-in seed: Ballenstedt and its five villages.
pub const BALLENSTEDT: &str = include_str!("../seed/ballenstedt.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    pub municipality: Option<Municipality>,
    pub districts: Vec<SeedDistrict>,
    /// The town's topics (Fachbereiche) that Anliegen are forwarded to; created when there
    /// are none yet (also on an installation that predates them).
    #[serde(default)]
    pub topics: Vec<SeedTopic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTopic {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDistrict {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seed file {path} could not be read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("seed file is not valid: {0}")]
    Parse(String),
    #[error("seed district {slug:?} is not valid: {reason}")]
    Invalid { slug: String, reason: String },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl SeedFile {
    pub fn parse(text: &str) -> Result<Self, SeedError> {
        let seed: SeedFile = toml::from_str(text).map_err(|e| SeedError::Parse(e.to_string()))?;
        if seed.districts.is_empty() {
            return Err(SeedError::Parse(
                "a seed needs at least one district".into(),
            ));
        }
        Ok(seed)
    }

    pub fn load(path: Option<&Path>) -> Result<Self, SeedError> {
        match path {
            None => Self::parse(BALLENSTEDT),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                Self::parse(&text)
            }
        }
    }
}

/// Creates the seed's districts if the installation has none yet. Returns how many it created.
/// Runs inside the start-up transaction (see [`domain::db::migrate_then`]).
pub async fn apply_on_first_start(
    txn: &DatabaseTransaction,
    clock: &SharedClock,
    seed: &SeedFile,
) -> Result<usize, SeedError> {
    if entity::anliegen_topic::Entity::find().count(txn).await? == 0 {
        let topics: Vec<domain::anliegen::NewTopic> = seed
            .topics
            .iter()
            .map(|t| domain::anliegen::NewTopic {
                slug: t.slug.clone(),
                name: t.name.clone(),
                description: t.description.clone(),
            })
            .collect();
        domain::anliegen::create_topics(txn, clock, &topics)
            .await
            .map_err(|err| SeedError::Invalid {
                slug: "topics".into(),
                reason: format!("{err:?}"),
            })?;
    }
    if entity::district::Entity::find().count(txn).await? > 0 {
        return Ok(0);
    }
    for district in &seed.districts {
        let input = districts::NewDistrict {
            slug: district.slug.clone(),
            name: district.name.clone(),
            description: district.description.clone(),
        };
        districts::create(txn, clock, input)
            .await
            .map_err(|err| SeedError::Invalid {
                slug: district.slug.clone(),
                reason: format!("{err:?}"),
            })?;
    }
    Ok(seed.districts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_seed_is_ballenstedt_with_six_districts() {
        let seed = SeedFile::load(None).expect("built-in seed parses");
        let names: Vec<_> = seed.districts.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Ballenstedt (Kernstadt)",
                "Asmusstedt",
                "Badeborn",
                "Opperode",
                "Radisleben",
                "Rieder"
            ]
        );
    }

    #[test]
    fn unknown_keys_and_empty_seeds_are_refused() {
        assert!(
            SeedFile::parse("[[districts]]\nslug = \"a\"\nname = \"A\"\ncolour = \"red\"\n")
                .is_err()
        );
        assert!(SeedFile::parse("districts = []\n").is_err());
    }
}

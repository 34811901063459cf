//! The database a subcommand works on: `DATABASE_URL`, or the private
//! cluster under the data directory.

use crate::{
    config::{Config, DatabaseTarget},
    pg_embedded::EmbeddedPg,
};

/// An open database target; `close` stops a private cluster this process
/// started.
pub struct Database {
    pub url: String,
    embedded: Option<EmbeddedPg>,
}

impl Database {
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        match &config.database {
            DatabaseTarget::Url(url) => Ok(Self {
                url: url.clone(),
                embedded: None,
            }),
            DatabaseTarget::Embedded => {
                let pg = EmbeddedPg::ensure_running(&config.data_dir).await?;
                Ok(Self {
                    url: pg.database_url(),
                    embedded: Some(pg),
                })
            }
        }
    }

    pub async fn close(self) -> anyhow::Result<()> {
        match self.embedded {
            Some(pg) => pg.shutdown().await,
            None => Ok(()),
        }
    }
}

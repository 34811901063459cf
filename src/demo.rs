//! `expopass demo`: the reference event end to end.

use crate::config::Config;

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Participants to register.
    #[arg(long, default_value_t = 10_000)]
    pub participants: usize,
}

pub async fn run(_config: Config, _args: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

//! `expopass bench`: load generators against a running server.

#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchCommand {
    /// Single registrations and imports.
    Register,
}

pub async fn run(_command: BenchCommand) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

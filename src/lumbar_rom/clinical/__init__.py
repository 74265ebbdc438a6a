"""Clinical stage: knowledge (TOML with sources), decisions, muscles, plan, safety, goals."""

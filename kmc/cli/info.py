"""What there is: ``mikmc info`` (a store's summary), ``mikmc plugins`` (installed plug-ins) and
``mikmc protocols`` (bundled protocols)."""

from __future__ import annotations

from pathlib import Path

import click

from kmc.cli.errors import fail


@click.command()
@click.argument("store", type=click.Path(exists=True, path_type=Path))
def info(store):
    """Summarise a results STORE (a run, or a campaign: its progress)."""
    from kmc.campaigns.campaign_store import format_status, is_campaign_store, status
    from kmc.storage.integrity import StoreDamaged
    from kmc.analysis.summary import describe

    try:
        click.echo(format_status(status(store), store) if is_campaign_store(store) else describe(store))
    except StoreDamaged as exc:
        fail(str(exc))
    except (ValueError, KeyError, FileNotFoundError) as exc:
        fail(f"{store}: not a mikmc store ({exc})")


@click.command("plugins")
def list_plugins():
    """List installed plug-ins by group."""
    from kmc import plugins
    for group in plugins.GROUPS:
        click.echo(group)
        for name, target in sorted(plugins.available(group).items()):
            click.echo(f"  {name:20s} {target}")


@click.command()
def protocols():
    """List the bundled protocols."""
    import tomllib

    from kmc.config import bundled_protocols

    for name, path in bundled_protocols().items():
        data = tomllib.loads(path.read_text())
        click.echo(f"  {name:28s} {data.get('title', '')}")

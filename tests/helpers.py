"""What many tests share: snapshots that keep nothing, the contexts the flows run in, and a
process runtime on the test database, for tests that call services in their own process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from kuajing.bootstrap import build_runtime
from kuajing.catalog.snapshots import ProductSnapshots, Snapshots
from kuajing.customs.parties import CustomsParties
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.payment.gateway import Gateway, Gateways, SandboxGateway
from kuajing.runtime import Runtime
from kuajing.settings import Settings


def no_snapshots() -> Snapshots:
    """Snapshots that keep nothing: every read goes to the database, as a fresh process's first."""
    return Snapshots.build(read_seconds=0, rules_seconds=0)


def fulfillment_context(sandbox: Gateway | None = None) -> FulfillmentContext:
    """The context the order transitions run in, with `sandbox` as the sandbox method's gateway."""
    return FulfillmentContext(
        Gateways({"sandbox": sandbox or SandboxGateway()}),
        CustomsParties.from_settings(Settings()),
        ProductSnapshots(0),
    )


@asynccontextmanager
async def process_runtime(database_url: str) -> AsyncIterator[Runtime]:
    """A runtime on `database_url` as a server process builds one, closed afterwards."""
    runtime = build_runtime(Settings(database_url=database_url))
    try:
        yield runtime
    finally:
        await runtime.close()

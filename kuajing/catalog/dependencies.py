"""The catalog's parts of the runtime, for routes."""

from typing import Annotated

from fastapi import Depends

from kuajing.catalog.snapshots import Snapshots
from kuajing.runtime import part

SnapshotsDep = Annotated[Snapshots, Depends(part(Snapshots))]

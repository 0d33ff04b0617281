"""The catalog's parts of the runtime, for routes."""

from typing import Annotated

from fastapi import Depends

from kuajing.catalog.snapshots import Snapshots
from kuajing.catalog.translation import Engine
from kuajing.runtime import part

SnapshotsDep = Annotated[Snapshots, Depends(part(Snapshots))]
EngineDep = Annotated[Engine, Depends(part(Engine))]

"""Pricing's part of the runtime, for routes."""

from typing import Annotated

from fastapi import Depends

from kuajing.pricing.snapshots import FxSnapshots
from kuajing.runtime import part

FxSnapshotsDep = Annotated[FxSnapshots, Depends(part(FxSnapshots))]

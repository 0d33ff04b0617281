"""The seller domain's part of the runtime, for routes."""

from typing import Annotated

from fastapi import Depends

from kuajing.runtime import part
from kuajing.seller.snapshots import SellerSnapshots

SellerSnapshotsDep = Annotated[SellerSnapshots, Depends(part(SellerSnapshots))]

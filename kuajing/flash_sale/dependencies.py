"""The flash sale's parts of the runtime, for routes and pages."""

from typing import Annotated

from fastapi import Depends

from kuajing.flash_sale.board import BoardSnapshots
from kuajing.flash_sale.ledger import StockLedger
from kuajing.flash_sale.purchase import PurchaseContext
from kuajing.runtime import part

PurchaseContextDep = Annotated[PurchaseContext, Depends(part(PurchaseContext))]
BoardSnapshotsDep = Annotated[BoardSnapshots, Depends(part(BoardSnapshots))]
StockLedgerDep = Annotated[StockLedger, Depends(part(StockLedger))]

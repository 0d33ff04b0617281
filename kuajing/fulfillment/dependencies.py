"""Fulfillment's part of the runtime, for routes and pages."""

from typing import Annotated

from fastapi import Depends

from kuajing.fulfillment.service import FulfillmentContext
from kuajing.runtime import part

FulfillmentDep = Annotated[FulfillmentContext, Depends(part(FulfillmentContext))]

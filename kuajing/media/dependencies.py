from typing import Annotated

from fastapi import Depends

from kuajing.media.storage import Storage
from kuajing.runtime import part

StorageDep = Annotated[Storage, Depends(part(Storage))]
